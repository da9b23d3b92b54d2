"""A known day for the start page's tests: 2026-11-30 in Korean time, with calls, missed
callers (one called back, one not), appointments in every state, stuck orders and jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from calls.models import Call
from integrations.models import (
    AnswerChannel,
    Appointment,
    AppointmentStatus,
    Clinic,
    Job,
    JobState,
    Order,
    OrderStatus,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=SEOUL)
OURS = "07052351234"


def at(hour: int, minute: int = 0, days_ago: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute) - timedelta(days=days_ago)


def call(call_id: str, direction: str, customer: str, status: str, when: datetime,
         duration: int | None = None, answered: bool = False) -> Call:
    inbound = direction == "inbound"
    return Call.objects.create(
        call_id=call_id, direction=direction, status=status, duration=duration,
        from_number=customer if inbound else OURS, to_number=OURS if inbound else customer,
        started_at=when, answered_at=when + timedelta(seconds=5) if answered else None,
    )


def seed_day() -> dict[str, object]:
    """Today (Korean time): 5 calls in (2 answered, 3 missed from two numbers), 2 out
    (1 answered: the call-back to 010-2222-0000). Yesterday at 23:30 Korean time (14:30 UTC
    today) one more missed call, which must not count as today."""
    call("CAin1", "inbound", "01011110000", "completed", at(9), 60, answered=True)
    call("CAin2", "inbound", "01011110001", "completed", at(10), 30, answered=True)
    call("CAmiss1", "inbound", "01022220000", "no-answer", at(9, 30))
    call("CAmiss2", "inbound", "01033330000", "busy", at(11))
    call("CAmiss3", "inbound", "01033330000", "no-answer", at(11, 20))
    call("CAout1", "outbound", "01022220000", "completed", at(10), 45, answered=True)
    call("CAout2", "outbound", "01044440000", "no-answer", at(12))
    call("CAlate", "inbound", "01055550000", "no-answer", at(23, 30, days_ago=1))
    call("CAold", "inbound", "01066660000", "completed", at(14, days_ago=3), 0)  # missed

    clinic = Clinic.objects.create(name="Happy Dental", phone="0212345678",
                                   from_number=OURS)

    def appointment(name: str, status: str, when: datetime, via: str = "") -> Appointment:
        return Appointment.objects.create(clinic=clinic, patient_name=name, phone="01077770000",
                                          starts_at=when, status=status, answered_via=via)

    appointment("Kim", AppointmentStatus.SCHEDULED, at(16))
    appointment("Lee", AppointmentStatus.CONFIRMED, at(17), AnswerChannel.SMS)
    appointment("Park", AppointmentStatus.CONFIRMED, at(17, 30), AnswerChannel.CALL)
    appointment("Choi", AppointmentStatus.CANCELLED, at(18), AnswerChannel.SMS)
    appointment("Jung", AppointmentStatus.NEEDS_STAFF, at(18, 30), AnswerChannel.SMS)
    appointment("Kang", AppointmentStatus.NEEDS_STAFF, at(10, days_ago=-2), AnswerChannel.SMS)
    appointment("Yoon", AppointmentStatus.CONFIRMED, at(10, days_ago=1), AnswerChannel.SMS)

    for order_id, status in (("A-1", OrderStatus.NOT_REACHED), ("A-2", OrderStatus.NOT_REACHED),
                             ("A-3", OrderStatus.FAILED), ("A-4", OrderStatus.ANSWERED)):
        Order.objects.create(order_id=order_id, customer_name="Kim", customer_phone="01088880000",
                             items=[{"name": "Cable"}], total_price=12000, raw_body=b"{}",
                             status=status)
    for subject, state in (("a", JobState.FAILED), ("b", JobState.UNKNOWN),
                           ("c", JobState.UNKNOWN), ("d", JobState.DONE),
                           ("e", JobState.PENDING)):
        Job.objects.create(kind="crm.activity", subject=subject, state=state)
    return {"clinic": clinic}
