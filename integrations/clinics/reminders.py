"""S4: appointment reminders — an SMS before the appointment, then a call if the patient
has not confirmed, and the patient's replies.

Both steps are ledger jobs keyed by (appointment, cycle), planned by ``plan`` whichever way
the appointment was created or moved (admin, CSV import, the API, ``reschedule``), and by the
sweeper (``plan_missing``) for one that was saved without it. Each checks the rules again
when it is about to send (still scheduled, same cycle, not opted out, outside quiet hours,
not too late), because hours pass between planning and sending. A reschedule starts a new
cycle, so the old cycle's jobs find themselves outdated.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from calls import store
from calls.models import Message
from calls.phone import format_phone, normalize_phone
from integrations.clinics import voice
from integrations.clinics.replies import is_courtesy_only, read_intent
from integrations.formatting import korean_datetime
from integrations.jobs import kinds, ledger, reasons
from integrations.jobs.outcomes import Done, Skipped
from integrations.models import (
    AnswerChannel,
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    Job,
    OptOut,
    QuietHoursPolicy,
    ReminderKeyPress,
    ReplyIntent,
)
from integrations.outbound import clawops
from integrations.texts import render_text

logger = logging.getLogger(__name__)

# What the status callbacks of a reminder call report (contract §2.1).


# --- planning -----------------------------------------------------------------------------


def subject(appointment: Appointment) -> str:
    return f"appointment:{appointment.pk}:cycle:{appointment.cycle}"


def plan(appointment: Appointment) -> None:
    """Add the SMS and call jobs of the appointment's current cycle (idempotent)."""
    clinic = appointment.clinic
    sms_at = appointment.starts_at - timedelta(minutes=clinic.reminder_lead_minutes)
    earlier = shift_before_quiet_hours(clinic, sms_at)
    # With "skip", the job stays at its time and records the skip when it comes due.
    sms_at = earlier or sms_at
    # Counted from when the SMS will really go: an appointment booked at short notice
    # still gives the patient the whole delay to answer before the phone rings.
    call_at = max(sms_at, timezone.now()) + timedelta(minutes=clinic.escalation_delay_minutes)
    payload = {"appointment": appointment.pk, "cycle": appointment.cycle}
    ledger.add(kinds.REMINDER_SMS, subject(appointment), due_at=sms_at, payload=payload)
    ledger.add(kinds.REMINDER_CALL, subject(appointment), due_at=call_at, payload=payload)


def plan_missing(now: datetime | None = None, *, batch: int = 500) -> int:
    """Plan the current cycle of every scheduled, future appointment that has no jobs for
    it — one saved by a path that did not call ``plan`` (a shell, a data import) — so that
    nothing entered any way is left unreminded. Run by the sweeper; returns how many."""
    now = now or timezone.now()
    planned_subject = Concat(Value("appointment:"), Cast(OuterRef("pk"), CharField()),
                             Value(":cycle:"), Cast(OuterRef("cycle"), CharField()))
    has_jobs = Job.objects.filter(kind=kinds.REMINDER_SMS, subject=planned_subject)
    unplanned = (Appointment.objects.select_related("clinic")
                 .filter(status=AppointmentStatus.SCHEDULED, starts_at__gt=now)
                 .filter(~Exists(has_jobs)).order_by("starts_at")[:batch])
    count = 0
    for appointment in unplanned:
        plan(appointment)
        count += 1
    return count


def reschedule(appointment: Appointment, starts_at: datetime) -> None:
    """Move the appointment and start a new reminder cycle."""
    with transaction.atomic():
        # The cycle is counted in the database: a stale object must not reuse a cycle.
        Appointment.objects.select_for_update().filter(pk=appointment.pk).update(
            starts_at=starts_at, cycle=F("cycle") + 1, status=AppointmentStatus.SCHEDULED,
            reminder_message=None, reminder_call=None, staff_note="",
            updated_at=timezone.now(),
        )
        appointment.refresh_from_db()
        plan(appointment)


def in_quiet_hours(clinic: Clinic, moment: datetime) -> bool:
    local = timezone.localtime(moment).time()
    start, end = clinic.quiet_start, clinic.quiet_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


def shift_before_quiet_hours(clinic: Clinic, moment: datetime) -> datetime | None:
    """Where the clinic sends earlier, the last minutes before the quiet hours that
    contain ``moment``; None when ``moment`` is outside them or the clinic skips instead."""
    if clinic.quiet_hours_policy != QuietHoursPolicy.SEND_EARLIER:
        return None
    if not in_quiet_hours(clinic, moment):
        return None
    local = timezone.localtime(moment)
    began = local.replace(hour=clinic.quiet_start.hour, minute=clinic.quiet_start.minute,
                          second=0, microsecond=0)
    if began > local:
        began -= timedelta(days=1)
    # Early enough that the call step, the escalation delay later, also fits before.
    return began - timedelta(
        minutes=settings.REMINDER_BEFORE_QUIET_MINUTES + clinic.escalation_delay_minutes
    )


# --- the rules at send time ----------------------------------------------------------------


def why_not_now(appointment: Appointment, job: Job, now: datetime) -> str:
    """The reason this reminder must not go out now, or "" when it may."""
    if appointment.cycle != job.payload.get("cycle"):
        return reasons.APPOINTMENT_MOVED
    if appointment.status != AppointmentStatus.SCHEDULED:
        return reasons.appointment_status(appointment.status)
    if OptOut.objects.filter(phone=appointment.phone).exists():
        return reasons.OPTED_OUT
    if in_quiet_hours(appointment.clinic, now):
        return reasons.QUIET_HOURS
    notice = timedelta(minutes=settings.REMINDER_MIN_NOTICE_MINUTES)
    if now > appointment.starts_at - notice:
        return reasons.too_late(settings.REMINDER_MIN_NOTICE_MINUTES)
    return ""


def _appointment(job: Job) -> Appointment | None:
    return (Appointment.objects.select_related("clinic")
            .filter(pk=job.payload.get("appointment")).first())


# --- the two steps ---------------------------------------------------------------------------


def sms_text(appointment: Appointment) -> str:
    return render_text("integrations/reminder_sms.txt", {
        "appointment": appointment,
        "clinic": appointment.clinic,
        "when": korean_datetime(appointment.starts_at),
        "clinic_phone": format_phone(appointment.clinic.phone),
    })


def send_reminder_sms(job: Job) -> Done | Skipped:
    appointment = _appointment(job)
    if appointment is None:
        return Skipped(reasons.APPOINTMENT_DELETED)
    reason = why_not_now(appointment, job, timezone.now())
    if reason:
        return Skipped(reason)
    body = sms_text(appointment)
    sent = clawops.send_sms(job, to=appointment.phone, from_=appointment.clinic.from_number,
                            body=body)
    message, _ = Message.objects.get_or_create(message_id=sent.message_id, defaults={
        "direction": "outbound", "type": sent.type or "", "status": sent.status or "queued",
        "from_number": normalize_phone(appointment.clinic.from_number),
        "to_number": appointment.phone, "body": body, "created_at": timezone.now(),
    })
    Appointment.objects.filter(pk=appointment.pk, cycle=job.payload["cycle"]).update(
        reminder_message=message)
    return Done({"message_id": sent.message_id})


def place_reminder_call(job: Job) -> Done | Skipped:
    appointment = _appointment(job)
    if appointment is None:
        return Skipped(reasons.APPOINTMENT_DELETED)
    reason = why_not_now(appointment, job, timezone.now())
    if reason:
        return Skipped(reason)
    with transaction.atomic():
        # The row lock orders this last check against a confirmation being saved at this
        # moment: one that lands first is seen, and no call goes out (product.md S4, the
        # reply-versus-call race).
        appointment = (Appointment.objects.select_for_update().select_related("clinic")
                       .get(pk=appointment.pk))
        reason = why_not_now(appointment, job, timezone.now())
    if reason:
        return Skipped(reason)
    # The lock is not held over the request: a reply arriving meanwhile is saved at once
    # instead of waiting on ClawOps (webhooks must answer within seconds).
    placed = clawops.place_call(
        job,
        to=appointment.phone,
        from_=appointment.clinic.from_number,
        url=(f"{settings.CLAWOPS_PUBLIC_BASE_URL}/voice/reminders/"
             f"{appointment.pk}/{appointment.cycle}/"),
    )
    with transaction.atomic():
        call_pk = store.record_placed_call(placed.call_id, appointment.clinic.from_number,
                                           appointment.phone)
        Appointment.objects.filter(pk=appointment.pk, cycle=job.payload["cycle"]).update(
            reminder_call=call_pk, updated_at=timezone.now())
    return Done({"call_id": placed.call_id})


# --- answers -----------------------------------------------------------------------------------


def next_appointment(phone: str, clinic_number: str = "") -> Appointment | None:
    """The patient's next appointment that is not over or cancelled — at the clinic whose
    number the reply was sent to, when one of the patient's appointments is there (a
    family sharing a phone may be booked at two clinics)."""
    grace = timedelta(minutes=settings.REMINDER_MIN_NOTICE_MINUTES)
    upcoming = (Appointment.objects.filter(phone=phone, starts_at__gte=timezone.now() - grace)
                .exclude(status=AppointmentStatus.CANCELLED).order_by("starts_at"))
    if clinic_number:
        at_that_clinic = upcoming.filter(clinic__from_number=clinic_number).first()
        if at_that_clinic is not None:
            return at_that_clinic
    return upcoming.first()


def handle_reply(message: Message) -> None:
    """An inbound SMS: match it to the sender's next appointment and act on its intent."""
    intent = read_intent(message.body)
    phone = message.from_number
    appointment = next_appointment(phone, message.to_number)
    _, created = AppointmentReply.objects.get_or_create(
        message=message, defaults={"appointment": appointment, "intent": intent})
    if not created:
        return
    if intent == ReplyIntent.OPT_OUT:
        OptOut.objects.get_or_create(phone=phone, defaults={"reason": message.body[:500]})
        return
    if appointment is None:
        return
    if intent == ReplyIntent.OTHER and is_courtesy_only(message.body):
        return  # "감사합니다" after confirming needs nobody's attention
    apply_answer(appointment.pk, intent, note=message.body, via=AnswerChannel.SMS)


def apply_answer(appointment_pk: int, intent: str, note: str = "",
                 via: str = "") -> Appointment:
    """Confirm, cancel or hand to staff, under the row lock the call step also takes;
    ``via`` (an AnswerChannel) records how the answer came."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment_pk)
        before = appointment.status
        if intent == ReplyIntent.CONFIRM and appointment.status != AppointmentStatus.CANCELLED:
            appointment.status = AppointmentStatus.CONFIRMED
        elif intent == ReplyIntent.CANCEL:
            appointment.status = AppointmentStatus.CANCELLED
        elif intent == ReplyIntent.OTHER:
            appointment.status = AppointmentStatus.NEEDS_STAFF
            appointment.staff_note = note[:1000]
        if appointment.status != before:
            appointment.answered_via = via
        appointment.save(update_fields=["status", "staff_note", "answered_via", "updated_at"])
    return appointment


def apply_key_press(appointment_pk: int, call_id: str, digits: str, note: str = "",
                    via: str = "") -> str:
    """Apply the key pressed during one reminder call, once per call; return the keys that
    count for that call (the first press's, when this is a copy or a replay of it).

    Under the appointment's row lock, so copies arriving together are applied one after the
    other and only the first finds no earlier press; the unique call id is the backstop."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment_pk)
        earlier = (ReminderKeyPress.objects.filter(call_id=call_id)
                   .values_list("digits", flat=True).first())
        if earlier is not None:
            logger.info("reminder call %s: key press already applied; this copy changes "
                        "nothing", call_id)
            return earlier
        ReminderKeyPress.objects.create(call_id=call_id, appointment=appointment, digits=digits)
        apply_answer(appointment_pk, voice.intent_of_digits(digits), note=note, via=via)
    return digits


def send_now(appointment: Appointment) -> bool:
    """Staff's "send reminder now": the SMS job of this cycle becomes due at once."""
    plan(appointment)
    if ledger.make_due_now(kinds.REMINDER_SMS, subject(appointment)):
        return True
    job = Job.objects.get(kind=kinds.REMINDER_SMS, subject=subject(appointment))
    return ledger.reopen(job, reset_attempts=True)
