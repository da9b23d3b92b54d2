"""With an integration off, every place staff or a client act says what will really happen:
nothing is promised that a skipped job would break, and nothing is half done."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from calls.models import Call
from calls.signatures import clawops_signature
from integrations.clinics import reminders
from integrations.jobs import kinds, reasons
from integrations.models import Appointment, CallbackRequest, Clinic, Job, JobState, Order

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SEOUL)
APPOINTMENTS = reverse("admin:integrations_appointment_changelist")
ORDER = {"order_id": "A-1", "customer_phone": "010-5555-1234", "customer_name": "Kim",
         "items": ["Cable"], "total_price": 12000}


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clawops_off(settings):
    settings.CLAWOPS_API_KEY = ""


@pytest.fixture
def appointment() -> Appointment:
    clinic = Clinic.objects.create(name="Happy Dental", phone="0212345678",
                                   from_number="07012345678")
    appointment = Appointment.objects.create(
        clinic=clinic, patient_name="Kim", phone="01011112222",
        starts_at=datetime(2026, 11, 27, 14, 0, tzinfo=SEOUL))
    reminders.plan(appointment)
    return appointment


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the order webhook ---------------------------------------------------------------------


def post_order(client, settings):
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec"]
    body = json.dumps(ORDER).encode()
    return client.post("/webhooks/orders/", data=body, content_type="application/json",
                       headers={"X-Order-Signature": clawops_signature(body, "ordsec")})


@pytest.mark.parametrize("missing", ["CLAWOPS_FROM_NUMBER", "CLAWOPS_ORDER_AGENT_ID",
                                     "CLAWOPS_API_KEY", "CLAWOPS_ACCOUNT_ID"])
def test_the_order_webhook_says_no_call_follows_while_order_calls_are_off(
        client, settings, missing):
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_order"
    setattr(settings, missing, "")

    response = post_order(client, settings)

    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "stored" and answer["call"] == "disabled"
    assert f"{missing} is not set" in answer["reason"]
    assert Order.objects.filter(order_id="A-1").exists()  # kept, for when it is turned on


def test_the_order_webhook_promises_the_call_only_when_it_will_be_placed(client, settings):
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_order"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER}

    response = post_order(client, settings)

    assert (response.status_code, response.json()) == (202, {"status": "call_initiated"})


# --- appointments ---------------------------------------------------------------------------


def test_send_reminder_now_says_nothing_is_sent_and_changes_nothing(
        admin_client, appointment, clawops_off):
    sms = Job.objects.get(kind=kinds.REMINDER_SMS, subject=reminders.subject(appointment))

    response = admin_client.post(APPOINTMENTS, {
        "action": "send_reminder_now", "index": 0, "_selected_action": [appointment.pk]},
        follow=True)

    [message] = messages_of(response)
    assert message.startswith("아무것도 보내지 않았습니다.")
    assert "CLAWOPS_API_KEY" in message
    after = Job.objects.get(pk=sms.pk)
    assert (after.state, after.next_attempt_at) == (JobState.PENDING, sms.next_attempt_at)


def test_the_import_says_no_reminder_will_be_sent(admin_client, appointment, clawops_off):
    page = admin_client.get(reverse("admin:integrations_appointment_import")).content.decode()
    assert "예약은 등록되지만 안내는 보내지 않습니다" in page

    upload = SimpleUploadedFile("day.csv", b"clinic,patient_name,phone,starts_at\n"
                                b"Happy Dental,Lee,010-2222-3333,2026-11-28 10:00\n")
    report = admin_client.post(reverse("admin:integrations_appointment_import"),
                               {"file": upload}).content.decode()

    assert "이 예약들의 안내를 보내지 않습니다" in report
    assert "예약 시각에 맞춰 보냅니다" not in report


def test_the_import_promises_reminders_while_they_will_be_sent(admin_client, appointment):
    upload = SimpleUploadedFile("day.csv", b"clinic,patient_name,phone,starts_at\n"
                                b"Happy Dental,Lee,010-2222-3333,2026-11-28 10:00\n")
    report = admin_client.post(reverse("admin:integrations_appointment_import"),
                               {"file": upload}).content.decode()

    assert "예약 시각에 맞춰 보냅니다" in report
    assert 'id="nothing-sent"' not in report


def test_the_appointment_pages_warn_and_the_list_shows_waiting_for_settings(
        admin_client, appointment, clawops_off):
    listing = admin_client.get(APPOINTMENTS).content.decode()
    page = admin_client.get(
        reverse("admin:integrations_appointment_change", args=[appointment.pk])).content.decode()

    for html in (listing, page):
        assert 'id="integrations-off"' in html
        assert "ClawOps API 연동이 꺼져 있습니다(CLAWOPS_API_KEY 설정 없음)" in html
    assert "설정 대기: CLAWOPS_API_KEY" in listing
    assert "대기 (2026-11-27" not in listing


# --- jobs -------------------------------------------------------------------------------------


def test_a_job_waiting_on_a_missing_setting_says_so_at_once(admin_client, settings):
    settings.SLACK_WEBHOOK_URL = ""
    Job.objects.create(kind=kinds.SLACK_MISSED_CALL, subject="CA1", state=JobState.PENDING)
    Job.objects.create(kind=kinds.CRM_ACTIVITY, subject="CA1", state=JobState.PENDING)

    rows = admin_client.get(reverse("admin:integrations_job_changelist")).content.decode()

    assert rows.count("설정 대기: SLACK_WEBHOOK_URL") == 1
    assert rows.count('class="field-state_display">대기<') == 1  # the CRM job: CRM is on


def test_a_skipped_jobs_reason_reads_in_the_readers_language(admin_client, settings):
    Job.objects.create(kind=kinds.SLACK_MISSED_CALL, subject="CA1", state=JobState.SKIPPED,
                       last_error=reasons.integration_off("slack", ["SLACK_WEBHOOK_URL"]))

    jobs = reverse("admin:integrations_job_changelist")
    korean = admin_client.get(jobs).content.decode()
    english = admin_client.get(jobs, headers={"Accept-Language": "en"}).content.decode()

    assert "Slack 알림 연동이 꺼져 있습니다: SLACK_WEBHOOK_URL 설정이 없습니다." in korean
    assert "Off: Slack alerts (SLACK_WEBHOOK_URL not set)." in english


# --- call-backs and the call pages ----------------------------------------------------------


@pytest.fixture
def missed_call() -> Call:
    return Call.objects.create(call_id="CAmiss", direction="inbound", status="no-answer",
                               from_number="01055551234", to_number="07052351234",
                               started_at=NOW)


def test_call_back_says_nothing_will_be_called_and_requests_nothing(
        admin_client, missed_call, settings):
    settings.CLAWOPS_FROM_NUMBER = ""
    confirm = reverse("admin:integrations_callbackrequest_new") + f"?call={missed_call.pk}"

    page = admin_client.get(confirm).content.decode()
    posted = admin_client.post(confirm, {"call": missed_call.pk})

    assert "전화를 걸지 않습니다: 다시 전화 연동이 꺼져 있습니다" in page
    assert 'type="submit"' not in page.split('id="content-main"')[1]
    assert posted.status_code == 400
    assert not CallbackRequest.objects.exists()
    assert not Job.objects.exists()


def test_the_call_pages_warn_about_what_does_not_follow_a_call(admin_client, missed_call,
                                                                settings):
    settings.CLAWOPS_FROM_NUMBER = ""
    settings.CRM_API_TOKEN = ""

    listing = admin_client.get(reverse("admin:calls_call_changelist")).content.decode()
    page = admin_client.get(
        reverse("admin:calls_call_change", args=[missed_call.pk])).content.decode()

    assert "CRM 기록 연동이 꺼져 있습니다(CRM_API_TOKEN 설정 없음)" in listing
    assert "다시 전화 연동이 꺼져 있습니다(CLAWOPS_FROM_NUMBER 설정 없음)" in listing
    assert 'id="callback-off"' in page
    assert "(으)로 다시 전화…" not in page
    assert reverse("admin:integrations_callbackrequest_new") not in page  # no button at all


def test_the_order_pages_warn_while_order_calls_are_off(admin_client, settings):
    settings.ORDER_WEBHOOK_SECRETS = []

    listing = admin_client.get(reverse("admin:integrations_order_changelist")).content.decode()

    assert "주문 웹훅 연동이 꺼져 있습니다(ORDER_WEBHOOK_SECRET 설정 없음)" in listing
    assert ("주문 확인 전화 연동이 꺼져 있습니다(CLAWOPS_FROM_NUMBER, CLAWOPS_ORDER_AGENT_ID"
            in listing)
