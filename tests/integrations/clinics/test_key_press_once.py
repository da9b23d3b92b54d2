"""A key press during a reminder call is applied once per call: a captured, signed Gather
request posted again later changes nothing (integrations/clinics/views.py, the
ReminderKeyPress row unique per ClawOps call)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from integrations.models import Appointment, AppointmentStatus, Clinic, ReminderKeyPress
from tests.helpers import in_parallel, post_form

pytestmark = pytest.mark.django_db
CALL = {"CallId": "CArem1", "From": "07052351234", "To": "01055551234",
        "Direction": "outbound", "CallStatus": "in-progress"}


@pytest.fixture
def appointment() -> Appointment:
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    return Appointment.objects.create(
        clinic=clinic, patient_name="김민지", phone="01055551234",
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("Asia/Seoul")))


def gather(client, appointment: Appointment, digits: str, call_id: str = "CArem1"):
    path = f"/voice/reminders/{appointment.pk}/{appointment.cycle}/gather/"
    return post_form(client, dict(CALL, CallId=call_id, Digits=digits), path=path)


def test_it_does_not_reapply_a_replayed_key_press_after_staff_review(client, appointment):
    assert gather(client, appointment, "1").status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    # The patient's later SMS hands the appointment to staff …
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.NEEDS_STAFF, staff_note="네 근데 시간 바꿀 수 있나요?")

    replayed = gather(client, appointment, "1")  # … and a captured request comes back

    assert replayed.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NEEDS_STAFF
    assert ReminderKeyPress.objects.get().digits == "1"


def test_it_ignores_a_different_key_sent_later_for_the_same_call(client, appointment):
    gather(client, appointment, "2")
    gather(client, appointment, "1")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_it_applies_one_press_when_copies_arrive_at_once(appointment):
    from django.test import Client

    statuses = in_parallel(6, lambda: gather(Client(), appointment, "9").status_code)
    assert statuses == [200] * 6
    assert ReminderKeyPress.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NEEDS_STAFF


def test_it_applies_the_press_of_the_next_call(client, appointment):
    gather(client, appointment, "2", call_id="CArem1")
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.SCHEDULED)
    gather(client, appointment, "1", call_id="CArem2")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED


@pytest.mark.parametrize("fields", [{"Digits": "1"}, {"Digits": "1", "CallId": "../x"}])
def test_it_refuses_a_gather_without_a_call_id_of_the_documented_shape(client, appointment,
                                                                        fields):
    path = f"/voice/reminders/{appointment.pk}/{appointment.cycle}/gather/"
    response = post_form(client, fields, path=path)
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert not ReminderKeyPress.objects.exists()


def test_it_keeps_a_long_key_sequence_short_in_the_staff_note(client, appointment):
    gather(client, appointment, "9" * 500)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NEEDS_STAFF
    assert len(appointment.staff_note) < 60
