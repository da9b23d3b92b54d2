"""The admin works in a real browser under its Content-Security-Policy: an administrator
logs in with a password and an authenticator code, and the admin's own scripts run (the
select-all box, the date and time shortcuts, the sidebar) with no violation reported.

Debian's Chromium driven by Playwright against pytest-django's live server (see
test_admin_browser.py). Violations are collected from the browser's own
``securitypolicyviolation`` events; a control at the end shows they are caught.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from calls.models import Call, WebhookDelivery
from integrations.models import Clinic
from tests.e2e.browser import chromium, needs_chromium

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(monkeypatch):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(monkeypatch) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
        page.set_default_timeout(15_000)
        page.add_init_script(COLLECT_VIOLATIONS)
        yield page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_an_administrator_logs_in_with_a_code_and_the_admin_scripts_run(page, live_server,
                                                                        settings):
    settings.ADMIN_REQUIRE_2FA = True
    root = User.objects.create_superuser("root", password="진료실 창문 옆 화분 2그루")
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    for index in range(3):
        call = Call.objects.create(call_id=f"CAcsp{index}", direction="inbound",
                                   status="no-answer", from_number="01055551234",
                                   started_at=timezone.now())
        WebhookDelivery.objects.create(scheme="x-signature", content_type="text/plain",
                                       url="https://clinic.example.com/webhooks/clawops/",
                                       body=b"CallId=CAcsp", kind="call_status",
                                       outcome="processed", call=call)
    Clinic.objects.create(name="강남연세치과", phone="0212345678", from_number="07052351234")
    seen: dict[str, list[str]] = {}

    page.goto(f"{live_server.url}/admin/login/")
    policy = page.evaluate("() => fetch(location.href).then(r => "
                           "r.headers.get('Content-Security-Policy'))")
    assert "script-src 'self'" in policy
    page.fill("#id_username", "root")
    page.fill("#id_password", "진료실 창문 옆 화분 2그루")
    page.fill("#id_otp_token", f"{totp(device.bin_key):06d}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    seen["index"] = violations(page)

    page.goto(f"{live_server.url}/admin/calls/call/")
    seen["call list"] = violations(page)
    page.goto(f"{live_server.url}/admin/calls/webhookdelivery/")
    page.check("#action-toggle")  # admin/js/actions.js selects every row
    assert page.locator("input.action-select:checked").count() == 3
    assert "3" in page.locator(".action-counter").inner_text()
    seen["delivery list"] = violations(page)

    page.goto(f"{live_server.url}/admin/calls/call/{Call.objects.first().pk}/change/")
    seen["call page"] = violations(page)
    page.goto(f"{live_server.url}/admin/calls/webhookdelivery/"
              f"{WebhookDelivery.objects.first().pk}/change/")
    seen["delivery page"] = violations(page)

    page.goto(f"{live_server.url}/admin/integrations/appointment/add/")
    # admin/js/admin/DateTimeShortcuts.js adds the "today" and "now" links.
    page.locator(".datetimeshortcuts").first.wait_for()
    seen["appointment form"] = violations(page)

    page.goto(f"{live_server.url}/admin/two-factor/")
    assert page.locator("text=2단계 로그인").first.is_visible()
    seen["two-step page"] = violations(page)
    page.screenshot(path=str(ARTIFACTS / "csp-admin.png"), full_page=True)

    assert seen == {name: [] for name in seen}

    # Control: an inline script, which the policy forbids, is refused and reported.
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = true';
                             document.body.appendChild(s); }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any(v.startswith("script-src") for v in violations(page))
