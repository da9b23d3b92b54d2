"""Every page staff read, in a real browser at 1280 px, in Korean and in English.

Screenshots of the start page, the call page and each list are saved under
tests/artifacts/screens/ (git-ignored) for people to look at; the test fails if a list's
state column is not on screen without scrolling sideways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from calls.models import Call, Message, Summary, Transcript, WebhookDelivery
from integrations.models import Appointment, AppointmentReply, CallbackRequest, OptOut
from tests.dashboard.seed import NOW, seed_day
from tests.e2e.browser import chromium, needs_chromium

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens"
WIDTH = 1280

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

# Each list, and the column that says where a row stands.
LISTS = {
    "calls": ("admin:calls_call_changelist", "status"),
    "messages": ("admin:calls_message_changelist", "status"),
    "deliveries": ("admin:calls_webhookdelivery_changelist", "outcome_display"),
    "jobs": ("admin:integrations_job_changelist", "state_display"),
    "appointments": ("admin:integrations_appointment_changelist", "final_column"),
    "orders": ("admin:integrations_order_changelist", "status_display"),
    "callbacks": ("admin:integrations_callbackrequest_changelist", "job_state"),
    "replies": ("admin:integrations_appointmentreply_changelist", "intent"),
    "clinics": ("admin:integrations_clinic_changelist", "quiet_hours_policy"),
    "opt-outs": ("admin:integrations_optout_changelist", "created"),
}


@pytest.fixture
def seeded(admin_user):
    with time_machine.travel(NOW, tick=True):
        seed_day()
        call = Call.objects.get(call_id="CAin1")
        call.recording_url = "https://recordings.example/CAin1.wav"
        call.answered_by = "human"
        call.save()
        Transcript.objects.create(call=call, status="completed", segments=[
            {"speaker": "speaker_0", "start": 0.0, "end": 2.5, "text": "네, 행복치과입니다."},
            {"speaker": "speaker_1", "start": 2.6, "end": 5.0, "text": "내일 예약 확인하려고요."},
            {"speaker": "speaker_0", "start": 5.2, "end": 8.0, "text": "성함 말씀해 주시겠어요?"},
        ])
        Summary.objects.create(call=call, status="completed", result_json={
            "coreSummary": "내일 예약 확인 문의", "followUps": ["확인 문자 발송"]})
        message = Message.objects.create(
            message_id="MG1", direction="inbound", status="received", from_number="01077770000",
            to_number="07052351234", body="네 근데 시간 바꿀 수 있나요?", created_at=NOW)
        WebhookDelivery.objects.create(scheme="x-signature", url="https://x/", body=b"a=1",
                                       kind="call_status", outcome="processed", call=call)
        AppointmentReply.objects.create(
            message=message, appointment=Appointment.objects.get(patient_name="Jung"),
            intent="other")
        CallbackRequest.objects.create(call=Call.objects.get(call_id="CAmiss2"),
                                       number="01033330000", requested_by=admin_user)
        OptOut.objects.create(phone="01099990000", reason="전화로 요청")
        yield call


@pytest.fixture
def browser(monkeypatch):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(monkeypatch) as launched:
        yield launched


def logged_in_page(browser, live_server, locale: str):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900}, locale=locale)
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


@pytest.mark.parametrize("language,locale", [("ko", "ko-KR"), ("en", "en-US")])
def test_every_page_at_1280_px_with_the_state_column_on_screen(
        browser, live_server, seeded, language, locale):
    page = logged_in_page(browser, live_server, locale)
    assert page.locator("html").get_attribute("lang") == language
    page.screenshot(path=str(ARTIFACTS / f"{language}-start.png"), full_page=True)
    assert page.locator("#chart-calls svg").is_visible()

    page.goto(live_server.url + reverse("admin:calls_call_change", args=[seeded.pk]))
    assert page.locator("#call-headline").is_visible()
    assert page.locator("#call-transcript li.turn").count() == 3
    page.screenshot(path=str(ARTIFACTS / f"{language}-call.png"), full_page=True)

    off_screen = {}
    for name, (url_name, column) in LISTS.items():
        page.goto(live_server.url + reverse(url_name))
        page.screenshot(path=str(ARTIFACTS / f"{language}-list-{name}.png"), full_page=True)
        header = page.locator(f"#result_list thead th.column-{column}")
        box = header.bounding_box(timeout=2_000) if header.count() else None
        if box is None or box["x"] < 0 or box["x"] + box["width"] > WIDTH:
            off_screen[name] = box
    assert off_screen == {}
