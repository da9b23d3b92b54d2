"""One reconciliation run: page through ClawOps' calls and messages, newest first, back to
the window's start, and apply every state clawsite lacks through the intake's rules."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from calls import intake, store
from calls.models import Call, CallEvent, Message
from calls.payloads import CallStatusEvent, MessageEventPayload, Party
from calls.vocabulary import (
    CALL_STAGE_ALIASES,
    CALL_STATUS_RANK,
    MESSAGE_STATUS_RANK,
    STAGE_TO_CALL_STATUS,
    EventKind,
)
from integrations.outbound import clawops as clawops_api
from integrations.periodic import runs
from integrations.reconciliation import delivery_log
from integrations.reconciliation.models import RecoveredItem, RecoveredKind, RecoverySource

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# A bound on one run's reading (10,000 calls and as many messages): a longer backlog is
# read by the next runs, or by the command with a deadline of its own.
MAX_PAGES = 100
# A run that dies keeps others out only this long.
LEASE = timedelta(minutes=15)
_MAX_ID_LENGTH = 64


@dataclass
class Report:
    since: str = ""
    calls_checked: int = 0
    calls_recovered: int = 0
    messages_checked: int = 0
    messages_recovered: int = 0
    failed_deliveries_new: int = 0
    # False when a deadline or MAX_PAGES stopped the reading before the window's start.
    complete: bool = True
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reconcile(since: timedelta, *, deadline: datetime | None = None) -> Report:
    """Reconcile the last ``since``; raise runs.AlreadyRunning if another run is going."""
    started = timezone.now()
    report = Report(since=(started - since).isoformat())
    with runs.exclusive(runs.RECONCILIATION, LEASE) as holder:
        window_start = started - since
        _calls(window_start, report, deadline)
        _messages(window_start, report, deadline)
        report.failed_deliveries_new = delivery_log.collect_failures(window_start, report.notes)
        runs.record_result(runs.RECONCILIATION, holder, report.as_dict())
    logger.info(
        "reconciliation: %s calls checked, %s recovered; %s messages checked, %s recovered; "
        "%s new failed deliveries%s", report.calls_checked, report.calls_recovered,
        report.messages_checked, report.messages_recovered, report.failed_deliveries_new,
        "" if report.complete else " (stopped before the window's start)",
    )
    return report


def scheduled_window() -> timedelta:
    """The schedule's window: RECONCILE_WINDOW_HOURS, or back to a little before the last
    run that finished, if that is longer ago (the worker was down), up to 30 days."""
    window = timedelta(hours=settings.RECONCILE_WINDOW_HOURS)
    last = runs.last_finished().get(runs.RECONCILIATION)
    if last is not None:
        since_last = timezone.now() - last + timedelta(minutes=settings.RECONCILE_EVERY_MINUTES)
        window = max(window, min(since_last, timedelta(days=30)))
    return window


def _newest_first(
    fetch: Callable[[int], Any], window_start: datetime, report: Report,
    deadline: datetime | None,
) -> Iterator[list[Any]]:
    """Pages of items created since ``window_start``; the API lists newest first."""
    for number in range(MAX_PAGES):
        if deadline is not None and timezone.now() > deadline:
            report.complete = False
            return
        page = fetch(number)
        items = list(page.data)
        fresh = [item for item in items if item.date_created >= window_start]
        if fresh:
            yield fresh
        if len(fresh) < len(items) or not page.has_next_page():
            return
    report.complete = False


# --- calls ----------------------------------------------------------------------------------


def _calls(window_start: datetime, report: Report, deadline: datetime | None) -> None:
    for page in _newest_first(clawops_api.list_calls, window_start, report, deadline):
        report.calls_checked += len(page)
        known = dict(Call.objects.filter(call_id__in=[c.call_id for c in page])
                     .values_list("call_id", "status_rank"))
        for remote in page:
            event = call_event(remote)
            if event is None:
                report.notes.append(f"call {remote.call_id[:80]!r}: status {remote.status!r} "
                                    "not understood, skipped")
                continue
            rank = CALL_STATUS_RANK[STAGE_TO_CALL_STATUS[event.stage]]
            if remote.call_id in known and known[remote.call_id] >= rank:
                continue
            if _recover_call(remote, event):
                report.calls_recovered += 1


def call_event(remote: Any) -> CallStatusEvent | None:
    """The status event that says what ``calls.list`` reports about a call."""
    stage = CALL_STAGE_ALIASES.get(str(remote.status))
    if stage is None or not remote.call_id or len(remote.call_id) > _MAX_ID_LENGTH:
        return None
    final = CALL_STATUS_RANK[STAGE_TO_CALL_STATUS[stage]] >= 40
    return CallStatusEvent(
        call_id=remote.call_id,
        stage=stage,
        party=_party(remote),
        occurred_at=(remote.date_updated or remote.date_created) if final else remote.date_created,
        duration=remote.duration,
        answered_by=(remote.answered_by or "")[:16],
        hangup_cause=(remote.hangup_cause or "")[:64],
        hangup_source=(remote.hangup_source or "")[:16],
        sip_response_code=remote.sip_response_code,
        recording_url=remote.recording_url or "",
    )


def _party(remote: Any) -> Party:
    return Party(direction=str(remote.direction or ""), from_raw=remote.from_ or "",
                 to_raw=remote.to or "")


def _recover_call(remote: Any, event: CallStatusEvent) -> bool:
    before = Call.objects.filter(call_id=remote.call_id).values_list("status", flat=True).first()
    with transaction.atomic():
        # The call's place in the log is when ClawOps created it, as a first webhook would
        # have said; the merge keeps the earliest.
        with connection.cursor() as cursor:
            store.upsert_call(cursor, store.call_row(remote.call_id, event.party,
                                                     remote.date_created))
        applied = intake.apply_reported(event, timezone.now())
        if not applied.new_event:
            return False  # a webhook (or a run beside this one) brought it meanwhile
        CallEvent.objects.filter(
            call_id=applied.call_pk, kind=EventKind.STATUS, sequence=0, status=event.stage
        ).update(details={**store.status_event_details(event),
                          "source": RecoverySource.RECONCILIATION})
        RecoveredItem.objects.create(
            kind=RecoveredKind.CALL, reference=remote.call_id, call_id=applied.call_pk,
            status_before=before or "", status_after=STAGE_TO_CALL_STATUS[event.stage],
        )
    logger.info("reconciliation recovered call %s: %s -> %s", remote.call_id,
                before or "unknown", STAGE_TO_CALL_STATUS[event.stage])
    return True


# --- messages -------------------------------------------------------------------------------


def _messages(window_start: datetime, report: Report, deadline: datetime | None) -> None:
    for page in _newest_first(clawops_api.list_messages, window_start, report, deadline):
        report.messages_checked += len(page)
        known = dict(Message.objects.filter(message_id__in=[m.message_id for m in page])
                     .values_list("message_id", "status_rank"))
        for remote in page:
            event = message_event(remote)
            if event is None:
                report.notes.append(f"message {remote.message_id[:80]!r}: status "
                                    f"{remote.status!r} not understood, skipped")
                continue
            if known.get(remote.message_id, -1) >= MESSAGE_STATUS_RANK[event.status]:
                continue
            if _recover_message(remote, event, before_known=remote.message_id in known):
                report.messages_recovered += 1


def message_event(remote: Any) -> MessageEventPayload | None:
    status = str(remote.status)
    if status not in MESSAGE_STATUS_RANK or not remote.message_id or (
            len(remote.message_id) > _MAX_ID_LENGTH):
        return None
    return MessageEventPayload(
        message_id=remote.message_id,
        status=status,
        party=_party(remote),
        occurred_at=remote.date_created,
        type=str(remote.type or "")[:8],
        subject=remote.subject or "",
        body=remote.body or "",
        media_urls=tuple(remote.media_url or ()),
        account_id=(remote.account_id or "")[:64],
    )


def _recover_message(remote: Any, event: MessageEventPayload, *, before_known: bool) -> bool:
    before = (Message.objects.filter(message_id=remote.message_id)
              .values_list("status", flat=True).first()) if before_known else None
    with transaction.atomic():
        applied = intake.apply_reported(event, timezone.now())
        if not applied.new_event:
            return False
        RecoveredItem.objects.create(
            kind=RecoveredKind.MESSAGE, reference=remote.message_id,
            message_id=applied.message_pk, status_before=before or "",
            status_after=event.status,
        )
    logger.info("reconciliation recovered message %s: %s -> %s", remote.message_id,
                before or "unknown", event.status)
    return True
