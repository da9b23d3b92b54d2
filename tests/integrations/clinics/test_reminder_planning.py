"""Nothing entered any way is left unreminded: the sweeper plans the current cycle of any
scheduled appointment saved without its jobs (a shell, a data import)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from integrations import tasks
from integrations.clinics import reminders
from integrations.jobs import kinds
from integrations.models import Appointment, AppointmentStatus, Clinic, Job

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL), tick=False):
        yield


@pytest.fixture
def clinic() -> Clinic:
    return Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                 from_number="07052351234")


def saved_without_plan(clinic: Clinic, hour: int = 15, **fields) -> Appointment:
    return Appointment.objects.create(clinic=clinic, patient_name="김민지",
                                      phone="01055551234",
                                      starts_at=datetime(2026, 12, 1, hour, tzinfo=SEOUL),
                                      **fields)


def kinds_of(appointment: Appointment) -> list[str]:
    return sorted(Job.objects.filter(subject=reminders.subject(appointment))
                  .values_list("kind", flat=True))


def test_the_sweeper_plans_an_appointment_saved_without_reminders(clinic):
    appointment = saved_without_plan(clinic)

    report = tasks.sweep()

    assert report["planned"] == 1
    assert kinds_of(appointment) == [kinds.REMINDER_CALL, kinds.REMINDER_SMS]


def test_it_plans_what_plan_plans(clinic):
    by_code = saved_without_plan(clinic)
    planned_at_once = saved_without_plan(clinic)
    reminders.plan(planned_at_once)

    tasks.sweep()

    def due(appointment):
        return sorted(Job.objects.filter(subject=reminders.subject(appointment))
                      .values_list("kind", "next_attempt_at"))

    assert due(by_code) == due(planned_at_once)


def test_a_second_sweep_plans_nothing_more(clinic):
    saved_without_plan(clinic)
    tasks.sweep()
    assert tasks.sweep()["planned"] == 0
    assert Job.objects.count() == 2


def test_it_plans_the_current_cycle_of_a_moved_appointment(clinic):
    appointment = saved_without_plan(clinic)
    reminders.plan(appointment)
    # Moved by code that bumped the cycle but planned nothing.
    Appointment.objects.filter(pk=appointment.pk).update(cycle=2)
    appointment.refresh_from_db()

    assert tasks.sweep()["planned"] == 1
    assert kinds_of(appointment) == [kinds.REMINDER_CALL, kinds.REMINDER_SMS]


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.CONFIRMED,
                                    AppointmentStatus.NEEDS_STAFF])
def test_it_leaves_appointments_that_are_not_scheduled(clinic, status):
    saved_without_plan(clinic, status=status)
    assert tasks.sweep()["planned"] == 0
    assert not Job.objects.exists()


def test_it_leaves_appointments_that_are_over(clinic):
    Appointment.objects.create(clinic=clinic, patient_name="김민지", phone="01055551234",
                               starts_at=datetime(2026, 11, 30, 9, tzinfo=SEOUL))
    assert tasks.sweep()["planned"] == 0
    assert not Job.objects.exists()


def test_the_sweep_command_reports_what_it_planned(clinic):
    from io import StringIO

    from django.core.management import call_command

    saved_without_plan(clinic)
    out = StringIO()
    call_command("sweep_jobs", stdout=out)
    assert "planned: 1" in out.getvalue()
