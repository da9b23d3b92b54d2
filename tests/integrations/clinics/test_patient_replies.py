"""A patient's SMS reply to a reminder: read, matched to an appointment, acted on once."""

import pytest
import respx
import time_machine

from calls.models import Message
from integrations.jobs import kinds
from integrations.models import (
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    JobState,
    OptOut,
)
from tests.clawops_api import API, message_created
from tests.helpers import post_form
from tests.integrations.clinics.reminder_story import book, make_clinic, reply, run, seoul

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()



@pytest.mark.parametrize(
    ("body", "status"),
    [("네", AppointmentStatus.CONFIRMED), ("예", AppointmentStatus.CONFIRMED),
     ("1", AppointmentStatus.CONFIRMED), ("확인", AppointmentStatus.CONFIRMED),
     ("네 확인했습니다 감사합니다!", AppointmentStatus.CONFIRMED),
     ("취소", AppointmentStatus.CANCELLED), ("2", AppointmentStatus.CANCELLED),
     ("취소할게요", AppointmentStatus.CANCELLED),
     ("네 근데 시간 바꿀 수 있나요?", AppointmentStatus.NEEDS_STAFF),
     ("3시 말고 4시요", AppointmentStatus.NEEDS_STAFF)],
)
def test_it_reads_each_reply_intent(client, clinic, body, status):
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        assert reply(client, body).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == status
    if status == AppointmentStatus.NEEDS_STAFF:
        assert appointment.staff_note == body
    assert AppointmentReply.objects.get().appointment == appointment


@respx.mock
@pytest.mark.parametrize("word", ["수신거부", "STOP", "stop"])
def test_it_opts_a_number_out_and_sends_it_nothing_more(client, clinic, word):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 9), tick=False):
        reply(client, word)
    assert OptOut.objects.filter(phone="01055551234").exists()
    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.SKIPPED
    assert sms.call_count == 0


def test_it_matches_a_reply_to_the_next_upcoming_appointment(client, clinic):
    past = book(clinic, seoul(1, 9))
    soon = book(clinic, seoul(1, 15))
    later = book(clinic, seoul(8, 15))
    with time_machine.travel(seoul(1, 12), tick=False):
        reply(client, "취소")
    statuses = {a.pk: a.status for a in Appointment.objects.all()}
    assert statuses == {past.pk: "scheduled", soon.pk: "cancelled", later.pk: "scheduled"}


def test_it_keeps_a_reply_from_an_unknown_number_for_staff(client, clinic):
    reply(client, "예약하고 싶어요", sender="01099998888")
    kept = AppointmentReply.objects.get()
    assert (kept.appointment, kept.intent) == (None, "other")


def test_it_reads_a_reply_sent_twice_once(client, clinic):
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        reply(client, "취소")
        reply(client, "취소")
    assert AppointmentReply.objects.count() == 1
    assert Message.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_a_thank_you_after_confirming_changes_nothing(client, clinic):
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        reply(client, "네", message_id="MG1")
        reply(client, "감사합니다!", message_id="MG2")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED


def test_a_reply_goes_to_the_clinic_it_was_sent_to(client, clinic):
    other = Clinic.objects.create(name="밝은눈안과", phone="0222223333",
                                  from_number="07011112222")
    dental = book(clinic, seoul(1, 15))
    eyes = book(other, seoul(1, 16))
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        post_form(client, {"MessageId": "MGeyes", "From": "01055551234", "To": "07011112222",
                           "Direction": "inbound", "Type": "sms", "Status": "received",
                           "Body": "취소", "NumMedia": "0"})
    dental.refresh_from_db()
    eyes.refresh_from_db()
    assert (dental.status, eyes.status) == ("scheduled", "cancelled")
