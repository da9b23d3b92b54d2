"""`manage.py forget_number`: one person erased on request — nothing of the number left in
any table or raw body, in any spelling — and everyone else untouched; idempotent."""

from __future__ import annotations

import json
import re
from io import StringIO
from urllib.parse import unquote_plus

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from calls.models import Call, Message, Summary, Transcript, WebhookDelivery
from integrations.models import Appointment, CallbackRequest, Clinic, Job, OptOut, Order
from tests.helpers import post_form, post_json

pytestmark = pytest.mark.django_db
SPELLINGS = re.compile(r"(?:\+82|0)[\s.+()-]*10[\s.+()-]*5555[\s.+()-]*1234")


def seed_everywhere(client) -> None:
    post_form(client, {"CallId": "CAher", "CallStatus": "completed", "Direction": "inbound",
                       "From": "+82 10-5555-1234", "To": "07052351234", "CallDuration": "60"})
    post_json(client, {"event": "call.completed", "call_id": "CAher2", "status": "no-answer",
                       "direction": "inbound", "from": "010-5555-1234", "to": "07052351234"})
    post_form(client, {"CallId": "CAother", "TransferStatus": "completed",
                       "TransferSequence": "1", "TransferTo": "01055551234",
                       "From": "01099990000", "To": "07052351234"})
    post_form(client, {"MessageId": "MGher", "Status": "received", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234", "Body": "예약 취소요"})
    post_form(client, {"MessageId": "MGfriend", "Status": "received", "Direction": "inbound",
                       "From": "01099990000", "To": "07052351234",
                       "Body": "제 친구 번호는 010 5555 1234 이에요"})
    her = Call.objects.get(call_id="CAher")
    Transcript.objects.create(call=her, status="completed",
                              segments=[{"speaker": "speaker_1", "text": "제 번호는 01055551234"}])
    Summary.objects.create(call=her, status="completed",
                           result_json={"coreSummary": "010-5555-1234 고객 문의"})
    other = Call.objects.get(call_id="CAother")
    Summary.objects.create(call=other, status="completed",
                           result_json={"coreSummary": "친구 010-5555-1234 소개"})
    clinic = Clinic.objects.create(name="서울치과", phone="02-1234-5678",
                                   from_number="07052351234")
    Appointment.objects.create(clinic=clinic, patient_name="김민지", phone="01055551234",
                               phone_raw="010-5555-1234", starts_at=timezone.now(),
                               staff_note="010-5555-1234로 연락 요망")
    Appointment.objects.create(clinic=clinic, patient_name="박지성", phone="01099990000",
                               starts_at=timezone.now())
    Order.objects.create(order_id="A-1", customer_name="김민지", customer_phone="01055551234",
                         customer_phone_raw="+82 10 5555 1234", items=["이어폰"],
                         total_price=12000,
                         raw_body=json.dumps({"customer_phone": "+82 10 5555 1234"}).encode())
    user = User.objects.create_user("desk")
    CallbackRequest.objects.create(call=her, number="01055551234", requested_by=user)
    Job.objects.create(kind="callback.call", subject="x1", group_key="01055551234",
                       payload={"to": "010-5555-1234"},
                       last_error="ClawOps answered 422 for 010-5555-1234")
    OptOut.objects.create(phone="01055551234", reason="수신거부")


def everything_stored() -> str:
    """Every value of every row of every table clawsite's models have, as text; raw bodies
    decoded, form bodies URL-decoded too."""
    texts = []
    for model in apps.get_models():
        for row in model.objects.all():
            for field in model._meta.concrete_fields:
                value = getattr(row, field.attname)
                if isinstance(value, (bytes, memoryview)):
                    raw = bytes(value).decode("utf-8", errors="replace")
                    texts += [raw, unquote_plus(raw)]
                else:
                    texts.append(json.dumps(value, ensure_ascii=False, default=str))
    return "\n".join(texts)


def forget(number: str = "010-5555-1234", *args: str) -> str:
    out = StringIO()
    call_command("forget_number", number, *args, stdout=out)
    return out.getvalue()


def test_nothing_of_the_number_is_left_anywhere(client):
    seed_everywhere(client)
    assert len(SPELLINGS.findall(everything_stored())) > 15  # the check can fail

    output = forget()

    assert SPELLINGS.findall(everything_stored()) == []
    for line in ("calls: 2", "messages: 1", "appointments: 1", "orders: 1", "call-backs: 1",
                 "opt-outs: 1", "transcripts: 1", "summaries: 1"):
        assert line in output
    her = Call.objects.get(call_id="CAher")
    assert (her.from_number, her.status, her.duration) == ("010-****-1234", "completed", 60)
    assert Message.objects.get(message_id="MGher").body == ""
    assert Message.objects.get(message_id="MGfriend").body == "제 친구 번호는 010-****-1234 이에요"
    assert not WebhookDelivery.objects.filter(call=her).exclude(body=b"").exists()


def test_everyone_else_is_untouched(client):
    seed_everywhere(client)
    forget()
    other = Call.objects.get(call_id="CAother")
    assert other.from_number == "01099990000"
    assert Appointment.objects.get(patient_name="박지성").phone == "01099990000"
    assert Message.objects.get(message_id="MGfriend").from_number == "01099990000"
    assert Summary.objects.get(call=other).result_json == {"coreSummary": "친구 010-****-1234 소개"}


def test_it_is_idempotent_and_a_dry_run_changes_nothing(client):
    seed_everywhere(client)
    dry = forget("+82 10 5555 1234", "--dry-run")
    assert "dry run: nothing was changed" in dry and "calls: 2" in dry
    assert Call.objects.get(call_id="CAher").from_number == "01055551234"

    forget()
    again = forget()

    assert "nothing of this number was left" in again
    assert all(line.endswith(": 0") for line in again.splitlines()[:-1])


def test_it_refuses_what_is_not_a_number(client):
    with pytest.raises(CommandError, match="not a Korean phone number"):
        forget("hello")


def test_a_number_whose_leading_0_was_dropped_erases_the_same_person(client):
    # As a spreadsheet cell holds 010-5555-1234: every door stores it as 01055551234.
    seed_everywhere(client)

    output = forget("1055551234")

    assert "calls: 2" in output
    assert Call.objects.get(call_id="CAher").from_number == "010-****-1234"
