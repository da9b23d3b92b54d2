"""The appointment list's columns: where each appointment's reminders stand.

The appointment list answers "which patients have not confirmed tomorrow" at a glance, so
each row shows the SMS and call steps of its current reminder cycle. Those come from the
ledger rows (kind, subject) and the message and call they produced, joined into the list's
one query by subqueries and select_related — never a query per row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls.admin_display import alert, seoul_time
from calls.vocabulary import CallStatus, MessageStatus
from integrations.jobs import kinds, reasons
from integrations.models import (
    Appointment,
    AppointmentStatus,
    Job,
    JobState,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOT_YET = "-"
MISSED_CALL_STATUSES = {CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.REJECTED,
                        CallStatus.CANCELED, CallStatus.FAILED}
FINAL_LABELS = {
    AppointmentStatus.CONFIRMED: _("Confirmed"),
    AppointmentStatus.CANCELLED: _("Cancelled"),
    AppointmentStatus.NEEDS_STAFF: _("Needs staff"),
}


def excerpt(text: str | None, length: int = 60) -> str:
    return Truncator((text or "").strip()).chars(length)


# --- the appointment list's columns -----------------------------------------------------------


def _job_field(kind: str, field: str) -> Subquery:
    # One indexed lookup on (kind, subject) per column; "reminder_subject" is the
    # annotation that rebuilds reminders.subject() in SQL.
    return Subquery(
        Job.objects.filter(kind=kind, subject=OuterRef("reminder_subject"))
        .order_by().values(field)[:1]
    )


def with_reminder_progress(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Appointments with their current cycle's job states, for sms_/call_progress."""
    return queryset.select_related("clinic", "reminder_message", "reminder_call").annotate(
        reminder_subject=Concat(
            Value("appointment:"), Cast("pk", CharField()),
            Value(":cycle:"), Cast("cycle", CharField()),
            output_field=CharField(),
        ),
        sms_state=_job_field(kinds.REMINDER_SMS, "state"),
        sms_error=_job_field(kinds.REMINDER_SMS, "last_error"),
        sms_due=_job_field(kinds.REMINDER_SMS, "next_attempt_at"),
        call_state=_job_field(kinds.REMINDER_CALL, "state"),
        call_error=_job_field(kinds.REMINDER_CALL, "last_error"),
        call_due=_job_field(kinds.REMINDER_CALL, "next_attempt_at"),
    )


def _open_or_stopped(state: str | None, error: str | None, due: datetime | None,
                     failed: str, running: str) -> str | None:
    """What a job that has not done its thing says; None once it is done."""
    if state is None:
        return NOT_YET  # never planned (an appointment from before the reminders existed)
    if state == JobState.PENDING:
        # Reminders need the ClawOps API: while it is off a waiting job will be skipped.
        missing = kinds.missing_settings("clawops")
        if missing:
            return alert(gettext("Waiting for settings: %(settings)s")
                         % {"settings": ", ".join(missing)})
        return gettext("Pending (%(due)s)") % {"due": seoul_time(due)}
    if state == JobState.RUNNING:
        return running
    if state == JobState.SKIPPED:
        return gettext("Skipped: %(reason)s") % {
            "reason": excerpt(reasons.reason_text(error or ""))}
    if state == JobState.FAILED:
        return f"{failed}: {excerpt(reasons.reason_text(error or ''))}"
    if state == JobState.UNKNOWN:
        return _("Check the outcome (on the jobs page)")
    return None


def sms_progress(appointment: Appointment) -> str:
    stopped = _open_or_stopped(getattr(appointment, "sms_state", None),
                               getattr(appointment, "sms_error", ""),
                               getattr(appointment, "sms_due", None),
                               failed=_("Sending failed"), running=_("Sending"))
    if stopped is not None:
        return stopped
    message = appointment.reminder_message
    if message is not None and message.status == MessageStatus.FAILED:
        return _("Sending failed (carrier report)")
    return _("Sent")


def call_progress(appointment: Appointment) -> str:
    stopped = _open_or_stopped(getattr(appointment, "call_state", None),
                               getattr(appointment, "call_error", ""),
                               getattr(appointment, "call_due", None),
                               failed=_("Call failed"), running=_("Dialling"))
    if stopped is not None:
        return stopped
    call = appointment.reminder_call
    if call is None:
        return _("Call placed")
    if call.connected:
        return _("Answered (answering machine)") if call.answered_by_machine else _("Answered")
    if call.status == CallStatus.COMPLETED:
        return _("Not reached (no answer)")  # completed after 0 seconds
    if call.status in MISSED_CALL_STATUSES:
        return gettext("Not reached (%(status)s)") % {"status": CallStatus(call.status).label}
    return _("Call placed")


def final_progress(appointment: Appointment) -> str:
    label = FINAL_LABELS.get(appointment.status)
    if label is None:
        return NOT_YET
    if appointment.status == AppointmentStatus.NEEDS_STAFF:
        note = reasons.reason_text(appointment.staff_note)
        return format_html("{}{}", alert(label), f": {excerpt(note, 40)}" if note else "")
    return label


class DayFilter(admin.SimpleListFilter):
    """Days as the clinic lives them: Korean midnight to midnight, weeks from Monday."""

    title = _("Appointment day")
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("today", _("Today")), ("tomorrow", _("Tomorrow")), ("week", _("This week"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        span = day_span(self.value(), timezone.now())
        if span is None:
            return queryset
        return queryset.filter(starts_at__gte=span[0], starts_at__lt=span[1])


def day_span(choice: str | None, now: datetime) -> tuple[datetime, datetime] | None:
    midnight = timezone.localtime(now, SEOUL).replace(hour=0, minute=0, second=0,
                                                      microsecond=0)
    day = timedelta(days=1)
    if choice == "today":
        return midnight, midnight + day
    if choice == "tomorrow":
        return midnight + day, midnight + 2 * day
    if choice == "week":
        monday = midnight - timedelta(days=midnight.weekday())
        return monday, monday + 7 * day
    return None
