"""The admin in a real browser: a front-desk user finds a missed call and calls back.

Debian's Chromium driven by Playwright against pytest-django's live server. Screenshots
of each step are saved under tests/artifacts/browser/ for people to look at.
"""

import re
from pathlib import Path

import pytest
import respx
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from calls.models import Call
from integrations.models import CallbackRequest, Job, JobState
from tests.clawops_api import API, call_created
from tests.e2e.browser import chromium, needs_chromium
from tests.helpers import post_form

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(monkeypatch) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
        page.set_default_timeout(15_000)
        yield page


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def front_desk_user() -> User:
    call_command("setup_roles", verbosity=0)
    user = User.objects.create_user("desk", password="desk-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name="프런트 데스크"))
    return user


@respx.mock
def test_a_front_desk_user_finds_a_missed_call_and_calls_back(
        browser_page, live_server, front_desk_user, client, settings):
    settings.SLACK_WEBHOOK_URL = ""  # the alert is not what this test is about
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    placed = respx.post(f"{API}/calls").mock(return_value=call_created("CAback1"))
    respx.route(host="127.0.0.1").pass_through()  # the browser's own requests
    missed = {"CallId": "CAmiss77", "Direction": "inbound", "From": "010-5555-1234",
              "To": "07052351234"}
    for status, at in (("ringing", "00:15:00"), ("no-answer", "00:15:30")):
        post_form(client, dict(missed, CallStatus=status, Timestamp=f"2026-11-26T{at}Z"))
    post_form(client, {"CallId": "CAok1", "CallStatus": "completed", "Direction": "inbound",
                       "From": "01011112222", "To": "07052351234", "CallDuration": "60"})
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", "desk-password-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    shot(page, "1-home")

    page.goto(f"{live_server.url}/admin/calls/call/")
    page.click("#changelist-filter a[href*='missed=yes']")  # 부재중
    page.wait_for_url(re.compile(r"missed=yes"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "010-5555-1234" in rows.first.inner_text()
    shot(page, "2-missed-calls")

    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/admin/calls/call/\d+/change/"))
    timeline = page.locator("#call-events")
    statuses = timeline.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert [status.strip() for status in statuses] == ["벨 울림", "응답 없음"]
    assert "09:15:00" in timeline.inner_text()  # Korean time (00:15 UTC)
    shot(page, "3-call-page")

    page.click("#call-callbacks a.button")
    page.wait_for_url(re.compile(r"/callbackrequest/new/"))
    assert "010-5555-1234" in page.locator("#content-main").inner_text()
    shot(page, "4-confirm-callback")
    page.click("input[type=submit][value='다시 전화 걸기']")
    page.wait_for_url(re.compile(r"/admin/calls/call/\d+/change/"))

    panel = page.locator("#call-callbacks")
    panel.wait_for()
    assert "완료" in panel.inner_text()
    shot(page, "5-callback-placed")
    page.goto(f"{live_server.url}/admin/integrations/job/?kind=callback.call")
    assert page.locator("#result_list tbody tr").count() == 1
    shot(page, "6-jobs")

    request = CallbackRequest.objects.get()
    assert (request.requested_by, request.call.call_id) == (front_desk_user, "CAmiss77")
    assert Job.objects.get(kind="callback.call").state == JobState.DONE
    assert request.placed_call == Call.objects.get(call_id="CAback1")
    assert placed.call_count == 1
