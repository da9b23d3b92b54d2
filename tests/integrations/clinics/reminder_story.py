"""What the reminder tests share: a clinic's story told on December days in Seoul, its
appointments and their ledger jobs, and a patient's reply as ClawOps delivers it."""

from datetime import datetime
from zoneinfo import ZoneInfo

from integrations.clinics import reminders
from integrations.jobs import ledger
from integrations.models import Appointment, Clinic, Job
from tests.helpers import post_form

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SEOUL)


def make_clinic() -> Clinic:
    return Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                 from_number="07052351234")


def book(clinic: Clinic, starts_at: datetime, phone: str = "01055551234") -> Appointment:
    appointment = Appointment.objects.create(clinic=clinic, patient_name="김민지", phone=phone,
                                             starts_at=starts_at)
    reminders.plan(appointment)
    return appointment


def job(kind: str, appointment: Appointment) -> Job:
    return Job.objects.get(kind=kind, subject=reminders.subject(appointment))


def run(kind: str, appointment: Appointment) -> str:
    return ledger.run(job(kind, appointment).pk)


def reply(client, body: str, sender: str = "010-5555-1234", message_id: str = "MGreply1"):
    return post_form(client, {"MessageId": message_id, "AccountId": "AC_test", "From": sender,
                              "To": "07052351234", "Direction": "inbound", "Type": "sms",
                              "Status": "received", "Body": body, "NumMedia": "0"})
