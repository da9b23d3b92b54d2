"""No page mixes languages: every admin page read in English has no Hangul of its own, and
read in Korean (the default) has Korean titles. The data is written in ASCII so that any
Hangul on an English page is the page's own words (model names, titles, reasons, labels)."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from calls.models import (
    Call,
    CallEvent,
    Message,
    MessageEvent,
    Summary,
    Transcript,
    WebhookDelivery,
)
from integrations.jobs import reasons
from integrations.models import (
    Appointment,
    AppointmentReply,
    CallbackRequest,
    Job,
    JobState,
    OptOut,
)
from tests.dashboard.seed import NOW, at, seed_day

pytestmark = pytest.mark.django_db
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
OUR_APPS = ("calls", "integrations")


@pytest.fixture
def every_kind_of_row(admin_user):
    with time_machine.travel(NOW, tick=False):
        seed_day()
        call = Call.objects.get(call_id="CAin1")
        call.hangup_cause, call.hangup_source = "normal_clearing", "callee"
        call.answered_by = "human"
        call.recording_url = "https://recordings.example/CAin1.wav"
        call.save()
        CallEvent.objects.create(call=call, kind="status", status="completed", occurred_at=at(9, 1),
                                 details={"answered_by": "human", "hangup_cause": "no_answer",
                                          "duration": 60})
        CallEvent.objects.create(call=call, kind="transfer", status="connected", sequence=1,
                                 occurred_at=at(9, 2), details={"TransferTo": "01000000000"})
        Transcript.objects.create(call=call, status="completed", segments=[
            {"speaker": "speaker_0", "start": 0, "end": 2, "text": "Hello"},
            {"speaker": "speaker_1", "start": 2, "end": 4, "text": "Hi"}])
        Summary.objects.create(call=call, status="completed",
                               result_json={"coreSummary": "Booking", "followUps": ["a", "b"]})
        message = Message.objects.create(message_id="MG1", direction="inbound", status="received",
                                         from_number="01011110000", to_number="07052351234",
                                         body="yes", created_at=at(9, 5))
        MessageEvent.objects.create(message=message, status="received", occurred_at=at(9, 5))
        WebhookDelivery.objects.create(scheme="x-signature", url="https://x/", body=b"a=1",
                                       kind="call_status", outcome="failed", error="bad", call=call)
        appointment = Appointment.objects.get(patient_name="Jung")
        appointment.staff_note = reasons.pressed_key("9")
        appointment.save()
        AppointmentReply.objects.create(message=message, appointment=appointment, intent="other")
        OptOut.objects.create(phone="01099990000", reason="asked by phone")
        CallbackRequest.objects.create(call=Call.objects.get(call_id="CAmiss2"),
                                       number="01033330000", requested_by=admin_user)
        for kind, state, error in (
                ("reminder.sms", JobState.SKIPPED, reasons.QUIET_HOURS),
                ("reminder.call", JobState.SKIPPED, reasons.too_late(15)),
                ("order.confirmation_call", JobState.SKIPPED, reasons.attempt_placed(2)),
                ("slack.missed_call", JobState.SKIPPED,
                 reasons.integration_off("slack", ["SLACK_WEBHOOK_URL"])),
                ("clawops.artifacts", JobState.PENDING, reasons.still_pending(["transcript"]))):
            Job.objects.create(kind=kind, subject=f"lang-{kind}", state=state, last_error=error)
        yield


def admin_pages() -> list[str]:
    """The start page, every list and add page, and one change page per model."""
    urls = [reverse("admin:index"), reverse("admin:integrations_appointment_import")]
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in (*OUR_APPS, "auth", "django_q"):
            continue
        name = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        try:
            urls.append(reverse(f"{name}_add"))
        except NoReverseMatch:
            pass
        first = model.objects.order_by("pk").first()
        if first is not None and meta.app_label in OUR_APPS:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    urls.append(reverse("admin:integrations_callbackrequest_new")
                + f"?call={Call.objects.get(call_id='CAmiss2').pk}")
    return urls


def own_text(html: str) -> str:
    """What a reader sees, without scripts, styles and the hidden SVG sprite."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def get(client, url: str, language: str):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code in (200, 403), (url, response.status_code)
    return response


def test_no_admin_page_read_in_english_has_hangul_of_its_own(admin_client, every_kind_of_row):
    mixed = {}
    for url in admin_pages():
        text = own_text(get(admin_client, url, "en").content.decode())
        found = sorted({line.strip() for line in text.splitlines() if HANGUL.search(line)})
        if found:
            mixed[url] = found[:5]
    assert mixed == {}


def test_every_admin_page_read_in_korean_has_a_korean_title(admin_client, every_kind_of_row):
    english_titles = {}
    for url in admin_pages():
        response = get(admin_client, url, "ko")
        title = re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S)
        if response.status_code == 403 or "/django_q/" in url or "/auth/" in url:
            continue  # pages no one may open, and other apps' pages (their catalogues)
        if not HANGUL.search(title.group(1)):
            english_titles[url] = title.group(1).strip()
    assert english_titles == {}


def test_lists_and_pages_have_plain_titles(admin_client, every_kind_of_row):
    calls = reverse("admin:calls_call_changelist")
    page = reverse("admin:calls_call_change", args=[Call.objects.get(call_id="CAin1").pk])

    assert "<h1>통화 목록</h1>" in get(admin_client, calls, "ko").content.decode()
    assert "<h1>Calls</h1>" in get(admin_client, calls, "en").content.decode()
    assert "| 통화 보기 | clawsite</title>" in get(admin_client, page, "ko").content.decode()
    english = get(admin_client, page, "en").content.decode()
    assert "Select" not in english.split("<h1>")[1][:40] and "View call" not in english


def test_a_front_desk_page_in_english_reads_english_for_a_desk_user(client, every_kind_of_row):
    call_command("setup_roles", verbosity=0)
    user = User.objects.create_user("desk", password="pw-desk-1", is_staff=True)
    user.groups.add(Group.objects.get(name="프런트 데스크"))
    client.force_login(user)

    text = own_text(get(client, reverse("admin:index"), "en").content.decode())

    assert not HANGUL.search(text)
