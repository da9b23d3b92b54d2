"""What the tests of the front desk's admin share: its pages, the clock of their stories, and
appointments, jobs and replies made the way the admin would find them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from calls.models import Message
from integrations.clinics import admin_list, reminders
from integrations.models import (
    Appointment,
    AppointmentReply,
    Clinic,
    Job,
)

SEOUL = ZoneInfo("Asia/Seoul")
APPOINTMENTS = reverse("admin:integrations_appointment_changelist")
ADD = reverse("admin:integrations_appointment_add")
IMPORT = reverse("admin:integrations_appointment_import")


def seoul(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


def make_appointment(clinic: Clinic, name: str, starts_at: datetime, **fields) -> Appointment:
    appointment = Appointment.objects.create(
        clinic=clinic, patient_name=name, phone=fields.pop("phone", "01011112222"),
        starts_at=starts_at, **fields)
    reminders.plan(appointment)
    return appointment


def job(appointment: Appointment, kind: str) -> Job:
    return Job.objects.get(kind=kind, subject=reminders.subject(appointment))


def set_job(appointment: Appointment, kind: str, state: str, error: str = "") -> None:
    Job.objects.filter(kind=kind, subject=reminders.subject(appointment)).update(
        state=state, last_error=error)


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [a.patient_name for a in response.context["cl"].result_list]


def rows_by_name(client: Client, params: dict | None = None) -> dict[str, Appointment]:
    response = client.get(APPOINTMENTS, params or {})
    assert response.status_code == 200
    return {a.patient_name: a for a in response.context["cl"].result_list}


def progress(appointment: Appointment) -> tuple[str, str, str]:
    return (admin_list.sms_progress(appointment), admin_list.call_progress(appointment),
            str(admin_list.final_progress(appointment)))


def add_form(clinic: Clinic, **fields: str) -> dict[str, str]:
    data = {"clinic": str(clinic.pk), "patient_name": "김민수", "phone": "010-1111-2222",
            "starts_at_0": "2026-11-27", "starts_at_1": "14:00"}
    data.update(fields)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def action(client: Client, name: str, *appointments: Appointment):
    return client.post(APPOINTMENTS, {"action": name, "index": 0,
                                      "_selected_action": [a.pk for a in appointments]},
                       follow=True)


def reply(appointment: Appointment | None, body: str, intent: str, message_id: str,
          when: datetime) -> AppointmentReply:
    message = Message.objects.create(message_id=message_id, direction="inbound",
                                     status="received", from_number="01011112222",
                                     to_number="07012345678", body=body, created_at=when)
    return AppointmentReply.objects.create(message=message, appointment=appointment,
                                           intent=intent)
