"""What a new call event sets in motion: the jobs it adds to the ledger.

The one module calls/ imports from integrations: the hand-off of a stored event. Called by
calls.intake inside the transaction that stores the event, so the event and the
work it causes commit together or not at all. Each rule reads the call's merged state, so
it holds whatever order the events came in; the ledger's unique (kind, subject) makes a
second trigger for the same call a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from calls.models import Call, Message
from calls.payloads import CallStatusEvent
from calls.vocabulary import (
    MISSED_STATUSES,
    CallStage,
    Direction,
    EventKind,
    MessageStatus,
)
from integrations.audit import record as record_audit
from integrations.audit import record_transcript_view
from integrations.clinics import reminders
from integrations.follow_ups import rules
from integrations.follow_ups.rules import JOBS_STEP, jobs_step_params
from integrations.jobs import kinds, ledger
from integrations.jobs.ledger import wake_on_commit
from integrations.models import Job, JobState

# What the PostgreSQL single-statement intake (calls.intake) uses besides the functions
# below: the step that adds a status event's jobs, its parameters, and the wake-up of a
# job that statement made due. And the audit trail, for what staff do in calls/' admin
# (a replay, a look at a transcript): an event of another kind, handed over the same way.
__all__ = [
    "JOBS_STEP",
    "after_call_event",
    "after_message_event",
    "jobs_step_params",
    "record_audit",
    "record_transcript_view",
    "status_needs_python",
    "wake_on_commit",
]


def after_call_event(
    call_pk: int, kind: str, stage: str = "", *, follow_ups_planned: bool = False
) -> None:
    """``follow_ups_planned``: the single-statement intake already added the jobs of
    follow_ups (as SQL); only the rules kept in Python remain."""
    call = Call.objects.get(pk=call_pk)
    if kind == EventKind.STATUS:
        if call.is_missed:
            alert_missed_call(call)
        if not follow_ups_planned:
            if rules.needs_follow_up(call):
                rules.plan_for(call)
            rules.plan_settlement(call, stage)
    elif kind in (EventKind.TRANSCRIPT, EventKind.SUMMARY):
        # ClawOps says it is ready: fetch now instead of at the next poll.
        rules.plan_for(call)
        if not ledger.make_due_now(kinds.FETCH_ARTIFACTS, call.call_id):
            job = Job.objects.filter(kind=kinds.FETCH_ARTIFACTS, subject=call.call_id).first()
            if job and job.state in (JobState.DONE, JobState.FAILED):
                ledger.reopen(job)


def status_needs_python(event: CallStatusEvent) -> bool:
    """Whether a status event may start work whose rule lives only in Python: a missed-call
    alert (its grouping takes a lock and reads earlier alerts). Everything else a status
    event starts is also in SQL (rules.JOBS_STEP), so those events stay one statement."""
    if event.party.direction == Direction.OUTBOUND:
        return False
    # Inbound, or a payload that does not say: a missed call needs more (a completed call
    # without a duration may be 0 s).
    return event.stage in MISSED_STATUSES or (
        event.stage == CallStage.COMPLETED and not event.duration
    )


def after_message_event(message_pk: int, status: str) -> None:
    if status == MessageStatus.RECEIVED:
        reminders.handle_reply(Message.objects.get(pk=message_pk))


def alert_missed_call(call: Call) -> None:
    """One alert per run of missed calls from one number (each within the window of the
    one before); later calls of the run are counted on the first one's job."""
    number = call.from_number or call.call_id
    _lock(number)
    latest = (
        Job.objects.filter(kind=kinds.SLACK_MISSED_CALL, group_key=number)
        .order_by("-created_at", "-id")
        .first()
    )
    window = timedelta(minutes=settings.MISSED_CALL_WINDOW_MINUTES)
    if latest is not None and call.call_id in latest.payload.get("call_ids", []):
        return
    if latest is not None and _within(latest.payload.get("last_call_at"), call.started_at, window):
        latest.payload["call_ids"].append(call.call_id)
        latest.payload["last_call_at"] = max(latest.payload["last_call_at"],
                                             call.started_at.isoformat())
        latest.save(update_fields=["payload", "updated_at"])
        return
    ledger.add(
        kinds.SLACK_MISSED_CALL, call.call_id, call_id=call.pk, group_key=number,
        payload={"call_ids": [call.call_id], "last_call_at": call.started_at.isoformat()},
    )


def _within(last_call_at: str | None, started_at: datetime, window: timedelta) -> bool:
    if not last_call_at:
        return False
    return abs(started_at - datetime.fromisoformat(last_call_at)) <= window


def _lock(number: str) -> None:
    """Serialise missed-call grouping per number until the transaction ends (PostgreSQL;
    SQLite already has a single writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"missed:{number}"])

