"""The retention purge on a controlled clock: raw bodies after DELIVERY_RETENTION_DAYS,
personal data after PERSONAL_DATA_RETENTION_DAYS, the figures kept, idempotent, and a dry run
that changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from calls.models import Call, CallEvent, Message, Summary, Transcript, WebhookDelivery
from integrations.models import (
    Appointment,
    AppointmentStatus,
    CallbackRequest,
    Clinic,
    Job,
    JobState,
    OptOut,
    Order,
)
from integrations.retention.masking import mask_name, mask_number
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
DAY0 = datetime.fromisoformat("2026-01-05T03:00:00+00:00")
NUMBER = "010-5555-1234"


def seed(client, suffix: str) -> None:
    """One person's traces of every kind, created at the current (travelled) time."""
    call_id, message_id = f"CA{suffix}", f"MG{suffix}"
    post_form(client, {"CallId": call_id, "CallStatus": "completed", "Direction": "inbound",
                       "From": NUMBER, "To": "07052351234", "CallDuration": "95"})
    post_form(client, {"CallId": call_id, "TransferStatus": "completed", "TransferSequence": "1",
                       "TransferTo": "010-9999-0000", "TransferMode": "blind",
                       "TransferDuration": "30", "From": NUMBER, "To": "07052351234"})
    post_form(client, {"MessageId": message_id, "Status": "received", "Direction": "inbound",
                       "From": NUMBER, "To": "07052351234", "Body": "취소할게요",
                       "Type": "sms"})
    call = Call.objects.get(call_id=call_id)
    Transcript.objects.create(call=call, status="completed",
                              segments=[{"speaker": "speaker_0", "text": "예약 취소요"}])
    Summary.objects.create(call=call, status="completed", result_json={"coreSummary": "취소"})
    clinic, _ = Clinic.objects.get_or_create(name="서울치과", phone="02-1234-5678",
                                             from_number="07052351234")
    Appointment.objects.create(clinic=clinic, patient_name="김민지", phone="01055551234",
                               phone_raw=NUMBER, starts_at=timezone.now(),
                               status=AppointmentStatus.NEEDS_STAFF, staff_note="취소할게요")
    Order.objects.create(order_id=f"A-{suffix}", customer_name="김민지",
                         customer_phone="01055551234", customer_phone_raw=NUMBER,
                         items=["이어폰"], total_price=12000,
                         raw_body=b'{"customer_phone": "010-5555-1234"}')
    user, _ = User.objects.get_or_create(username="desk")
    CallbackRequest.objects.create(call=call, number="01055551234", requested_by=user)
    Job.objects.create(kind="slack.missed_call", subject=call_id, group_key="01055551234",
                       state=JobState.FAILED, last_error="Slack answered 400: 010-5555-1234")
    OptOut.objects.get_or_create(phone="01055551234", defaults={"reason": "수신거부 합니다"})


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def figures() -> list[tuple]:
    return sorted(Call.objects.values_list("call_id", "status", "direction", "duration"))


def test_raw_bodies_go_after_the_delivery_retention_and_nothing_else(client):
    with time_machine.travel(DAY0, tick=False):
        seed(client, "old")
    with time_machine.travel(DAY0 + timedelta(days=29), tick=False):
        seed(client, "new")
    with time_machine.travel(DAY0 + timedelta(days=31), tick=False):
        output = purge()

    assert "delivery bodies and headers: 3" in output
    old, new = (WebhookDelivery.objects.filter(call__call_id=f"CA{s}") |
                WebhookDelivery.objects.filter(message__message_id=f"MG{s}")
                for s in ("old", "new"))
    assert [(bytes(d.body), d.headers) for d in old] == [(b"", {})] * 3
    assert all(bytes(d.body) and d.headers for d in new)
    assert {d.outcome for d in old} == {"processed"}  # the row and its figures stay
    assert Transcript.objects.count() == 2
    assert Message.objects.filter(body="취소할게요").count() == 2
    assert "transcripts: 0" in output and "call numbers: 0" in output


def test_personal_data_goes_after_its_retention_keeping_the_figures(client):
    with time_machine.travel(DAY0, tick=False):
        seed(client, "old")
    with time_machine.travel(DAY0 + timedelta(days=300), tick=False):
        seed(client, "new")
    before = figures()

    with time_machine.travel(DAY0 + timedelta(days=366), tick=False):
        output = purge()

    for line in ("transcripts: 1", "summaries: 1", "call numbers: 1", "transfer details: 1",
                 "messages: 1", "appointments: 1", "orders: 1", "call-back numbers: 1",
                 "jobs: 1", "opt-out texts: 1"):
        assert line in output
    assert figures() == before
    old = Call.objects.get(call_id="CAold")
    assert (old.from_number, old.from_raw, old.to_number) == (
        "010-****-1234", "010-****-1234", "070-****-1234")
    assert not Transcript.objects.filter(call=old).exists()
    assert not Summary.objects.filter(call=old).exists()
    transfer = CallEvent.objects.get(call=old, kind="transfer")
    assert transfer.details == {"TransferMode": "blind", "TransferDuration": "30"}
    message = Message.objects.get(message_id="MGold")
    assert (message.body, message.from_number, message.status) == ("", "010-****-1234",
                                                                    "received")
    appointment = Appointment.objects.order_by("starts_at").first()
    assert (appointment.patient_name, appointment.phone, appointment.staff_note,
            appointment.status) == ("김**", "010-****-1234", "", "needs_staff")
    order = Order.objects.get(order_id="A-old")
    assert (bytes(order.raw_body), order.customer_name, order.customer_phone,
            order.total_price) == (b"", "김**", "010-****-1234", 12000)
    assert CallbackRequest.objects.get(call=old).number == "010-****-1234"
    job = Job.objects.get(subject="CAold", kind="slack.missed_call")
    assert (job.group_key, job.state) == ("010-****-1234", "failed")
    assert "5555" not in job.last_error
    assert OptOut.objects.get().phone == "01055551234"  # still honoured
    # The newer person's data is untouched.
    new = Call.objects.get(call_id="CAnew")
    assert new.from_number == "01055551234" and Transcript.objects.filter(call=new).exists()
    assert Message.objects.get(message_id="MGnew").body == "취소할게요"


def test_a_second_run_changes_nothing(client):
    with time_machine.travel(DAY0, tick=False):
        seed(client, "old")
    with time_machine.travel(DAY0 + timedelta(days=400), tick=False):
        purge()
        output = purge()
    counts = [int(line.rsplit(": ", 1)[1]) for line in output.splitlines()[1:]]
    assert len(counts) == 11 and set(counts) == {0}


def test_a_dry_run_reports_the_same_counts_and_changes_nothing(client):
    with time_machine.travel(DAY0, tick=False):
        seed(client, "old")
    with time_machine.travel(DAY0 + timedelta(days=400), tick=False):
        dry = purge("--dry-run")
        assert Transcript.objects.count() == 1
        assert Call.objects.get().from_number == "01055551234"
        assert all(bytes(d.body) for d in WebhookDelivery.objects.all())
        real = purge()
    assert "dry run: nothing was changed" in dry
    assert dry.splitlines()[1:] == real.splitlines()[1:]


def test_the_retention_periods_come_from_the_settings(client, settings):
    settings.DELIVERY_RETENTION_DAYS = 2
    settings.PERSONAL_DATA_RETENTION_DAYS = 10
    with time_machine.travel(DAY0, tick=False):
        seed(client, "old")
    with time_machine.travel(DAY0 + timedelta(days=3), tick=False):
        assert "delivery bodies and headers: 3" in purge()
        assert Transcript.objects.count() == 1
    with time_machine.travel(DAY0 + timedelta(days=11), tick=False):
        assert "transcripts: 1" in purge()


def test_the_masks():
    assert mask_number("010-1234-5678") == "010-****-5678"
    assert mask_number("+82 10 1234 5678") == "010-****-5678"
    assert mask_number("010-****-5678") == "010-****-5678"
    assert mask_number("") == ""
    assert mask_name("김민지") == "김**" and mask_name("김**") == "김**"


def test_the_schedule_runs_the_purge_and_records_it(client):
    from integrations import tasks
    from integrations.periodic.models import PeriodicRun

    with time_machine.travel(DAY0, tick=False):
        seed(client, "old")
    with time_machine.travel(DAY0 + timedelta(days=400), tick=False):
        report = tasks.purge()
    assert report["transcripts"] == 1
    assert PeriodicRun.objects.get(name="purge").last_result["transcripts"] == 1
