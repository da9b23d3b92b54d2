"""The audit trail: each audited action writes its own row (who, what, when), and the trail
is read-only, for administrators only."""

from __future__ import annotations

import re
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
import time_machine
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from calls.models import Call, Summary, Transcript, WebhookDelivery
from integrations import audit
from integrations.audit.models import AuditAction, AuditEntry
from integrations.models import Clinic, Job, JobState
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db
AUDIT = reverse("admin:integrations_auditentry_changelist")


def entries() -> list[tuple[str, str, str]]:
    return list(AuditEntry.objects.order_by("id").values_list("username", "action", "subject"))


@pytest.fixture
def call_with_transcript(client) -> Call:
    post_form(client, fixture("status_completed"))
    call = Call.objects.get(call_id="CA7e1f2a")
    Transcript.objects.create(call=call, status="completed", segments=[
        {"speaker": "speaker_0", "start": 0, "end": 1, "text": "안녕하세요"}])
    Summary.objects.create(call=call, status="completed", result_json={"coreSummary": "문의"})
    return call


def test_record_names_the_user_the_action_and_the_row(admin_user, call_with_transcript):
    audit.record(admin_user, AuditAction.EXPORT, call_with_transcript, detail="3 rows")
    audit.record(None, "erase", "number ending 5678")
    first, second = AuditEntry.objects.order_by("id")
    assert (first.user, first.username, first.action, first.subject, first.detail) == (
        admin_user, "admin", "export", f"calls.Call #{call_with_transcript.pk}", "3 rows")
    assert (second.user, second.username, second.subject) == (None, "", "number ending 5678")


def test_viewing_a_calls_transcript_is_recorded(admin_client, call_with_transcript):
    page = admin_client.get(reverse("admin:calls_call_change", args=[call_with_transcript.pk]))
    assert page.status_code == 200 and "안녕하세요" in page.content.decode()
    assert entries() == [("admin", "view_transcript", f"calls.Call #{call_with_transcript.pk}")]


def test_a_call_page_without_transcript_or_summary_records_nothing(admin_client, client):
    post_form(client, fixture("status_ringing"))
    call = Call.objects.get()
    assert admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).status_code == 200
    assert entries() == []


def test_replaying_a_delivery_is_recorded_by_the_admin_action_and_the_command(
        admin_client, client):
    post_form(client, fixture("status_ringing"))
    delivery = WebhookDelivery.objects.get()
    admin_client.post(reverse("admin:calls_webhookdelivery_changelist"),
                      {"action": "replay", "_selected_action": [delivery.pk]})
    call_command("replay", str(delivery.pk), stdout=StringIO())
    call_command("replay", str(delivery.pk), "--dry-run", stdout=StringIO())  # changes nothing
    subject = f"calls.WebhookDelivery #{delivery.pk}"
    assert entries() == [("admin", "replay", subject), ("", "replay", subject)]


def test_retrying_a_job_is_recorded(admin_client):
    job = Job.objects.create(kind="crm.activity", subject="CA1", state=JobState.FAILED)
    admin_client.post(reverse("admin:integrations_job_changelist"),
                      {"action": "retry_now", "_selected_action": [job.pk]})
    assert entries() == [("admin", "retry_job", f"integrations.Job #{job.pk}")]


@respx.mock
def test_placing_a_call_back_is_recorded(admin_client, client, settings):
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    respx.route(host="api.clawops.test").mock(return_value=httpx.Response(503))
    post_form(client, fixture("status_no_answer"))
    call = Call.objects.get()
    new = reverse("admin:integrations_callbackrequest_new")
    page = admin_client.get(new, {"call": call.pk}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    admin_client.post(f"{new}?call={call.pk}", {"call": call.pk,
                                                "csrfmiddlewaretoken": token.group(1)})
    [(user, action, subject)] = entries()
    assert (user, action, subject) == ("admin", "callback", f"calls.Call #{call.pk}")


def test_importing_appointments_is_recorded(admin_client):
    Clinic.objects.create(name="서울치과", phone="02-1234-5678", from_number="07052351234")
    rows = ("clinic,patient_name,phone,starts_at\n"
            "서울치과,김민수,010-1111-2222,2026-11-27 09:30\n"
            "없는병원,박지성,010-2222-3333,2026-11-27 10:00\n")
    with time_machine.travel(datetime(2026, 11, 26, 9, tzinfo=ZoneInfo("Asia/Seoul"))):
        admin_client.post(reverse("admin:integrations_appointment_import"), {
            "file": SimpleUploadedFile("a.csv", rows.encode(), content_type="text/csv")})
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.subject, entry.detail) == (
        "import", "appointments CSV", "1 imported, 1 rows rejected")
    assert "010" not in entry.detail and "김민수" not in entry.detail


def test_erasing_a_number_is_recorded_without_the_number(client):
    post_form(client, fixture("status_no_answer"))  # from 010-5555-1234
    call_command("forget_number", "010-5555-1234", stdout=StringIO())
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.subject) == ("erase", "number ending 1234")
    assert "5555" not in entry.subject + entry.detail


def test_the_trail_is_read_only_for_administrators(admin_client, call_with_transcript):
    audit.record(None, "export", call_with_transcript)
    entry = AuditEntry.objects.get()
    change = reverse("admin:integrations_auditentry_change", args=[entry.pk])
    assert admin_client.get(AUDIT).status_code == 200
    assert admin_client.post(change, {"action": "x", "subject": "y"}).status_code == 403
    delete = reverse("admin:integrations_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get().subject == entry.subject


def test_the_front_desk_cannot_read_the_trail(db):
    call_command("setup_roles", stdout=StringIO())
    desk = User.objects.create_user("desk", password="pw", is_staff=True)
    desk.groups.add(Group.objects.get(name="프런트 데스크"))
    manager = User.objects.create_user("boss", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name="관리자"))
    desk_client, manager_client = Client(), Client()
    desk_client.force_login(desk)
    manager_client.force_login(manager)
    assert desk_client.get(AUDIT).status_code == 403
    assert manager_client.get(AUDIT).status_code == 200
    assert not Permission.objects.filter(user=desk, codename="view_auditentry").exists()


def test_viewing_what_was_said_on_an_orders_page_is_recorded(admin_client, client):
    from integrations.models import Order

    post_form(client, {"CallId": "CAorder1", "CallStatus": "completed", "Direction": "outbound",
                       "From": "07052351234", "To": "01055551234", "CallDuration": "95"})
    call = Call.objects.get(call_id="CAorder1")
    order = Order.objects.create(order_id="A-1", customer_name="김민지",
                                 customer_phone="01055551234", items=["이어폰"],
                                 total_price=12000, raw_body=b"{}")
    order.calls.add(call)
    Summary.objects.create(call=call, status="completed", result_json={"coreSummary": "확인"})

    page = admin_client.get(reverse("admin:integrations_order_change", args=[order.pk]))

    assert page.status_code == 200 and "확인" in page.content.decode()
    assert entries() == [("admin", "view_transcript", f"calls.Call #{call.pk}")]
