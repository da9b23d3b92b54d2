"""From a verified delivery to the call log, in one transaction, with nothing lost.

``receive`` is the whole intake of one delivery: decode, recognise, apply, and store the
delivery row with its outcome. A payload that cannot be read or applied is still stored
(outcome ``failed``, with the error) so that it can be read in admin and replayed after a
fix; only an unreachable database escapes, as an exception the view answers with 503.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from calls import store
from calls.bounds import clean_header, visible
from calls.decoding import decode_body
from calls.models import DeliveryKind, Outcome, WebhookDelivery
from calls.payloads import (
    ArtifactEvent,
    CallStatusEvent,
    MessageEventPayload,
    Party,
    Payload,
    PayloadError,
    TransferEvent,
    UnknownKind,
    parse_payload,
)
from calls.vocabulary import CallStage, EventKind
from integrations import events

logger = logging.getLogger(__name__)

# What staff do to the call log in calls/' admin and commands (a replay, a look at a
# transcript) is audited through the same hand-off as events: calls/ reaches integrations
# from this module only.
record_audit = events.record_audit
record_transcript_view = events.record_transcript_view

# The database cannot be reached: the sender must retry, so these are never swallowed.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Received:
    """A delivery whose signature has been verified, as it came in."""

    scheme: str
    content_type: str
    headers: dict[str, str]
    url: str
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class Result:
    delivery_id: int
    outcome: str


@dataclass(frozen=True)
class Unreadable:
    """A verified body that cannot be decoded or parsed; ``error`` says why."""

    error: str


def receive(received: Received) -> Result:
    received = storable(received)
    payload = read(received.content_type, received.body)
    result = _receive(received, payload)
    # One line per accepted delivery; ids only, never a number or a body.
    kind = kind_of(payload) if not isinstance(payload, Unreadable) else DeliveryKind.UNKNOWN
    reference = getattr(payload, "call_id", "") or getattr(payload, "message_id", "")
    logger.info(
        "webhook accepted: delivery %s, %s, %s, %s", result.delivery_id, kind, result.outcome,
        reference or "-",
        extra={"delivery_id": result.delivery_id, "kind": str(kind),
               "outcome": str(result.outcome), "call_id": reference},
    )
    return result


def _receive(received: Received, payload: Payload | Unreadable) -> Result:
    if isinstance(payload, CallStatusEvent) and single_statement_available():
        try:
            return _record_status_pg(received, payload)
        except DATABASE_UNAVAILABLE:
            raise
        except Exception:
            # Fall through: the general path stores the delivery with this error.
            logger.exception("status callback could not be applied in one statement")
    with transaction.atomic():
        kind, outcome, error, applied = _apply(payload, received.received_at)
        return _store(received, kind, outcome, error, applied)


def single_statement_available() -> bool:
    """The one-statement status intake needs PostgreSQL (data-modifying CTEs)."""
    return connection.vendor == "postgresql"


def replay(delivery: WebhookDelivery) -> str:
    """Read and apply a stored delivery again, with today's code; return its new outcome."""
    with transaction.atomic():
        payload = read(delivery.content_type, bytes(delivery.body))
        kind, outcome, error, applied = _apply(payload, delivery.received_at)
        if delivery.outcome == Outcome.PROCESSED and outcome == Outcome.DUPLICATE:
            outcome = Outcome.PROCESSED  # its event is the one already there
        delivery.kind, delivery.outcome, delivery.error = kind, outcome, visible(error)
        delivery.call_id = applied.call_pk or delivery.call_id
        delivery.message_id = applied.message_pk or delivery.message_id
        delivery.replayed_at = timezone.now()
        delivery.save(
            update_fields=["kind", "outcome", "error", "call", "message", "replayed_at"]
        )
    return outcome


def storable(received: Received) -> Received:
    """The delivery with what is kept beside the body (headers, URL) bounded and free of
    what PostgreSQL cannot store as text; the body itself is kept as it came."""
    return replace(
        received,
        content_type=clean_header(received.content_type, 128),
        headers={name: clean_header(value) for name, value in received.headers.items()},
        url=clean_header(received.url, 2048),
    )


def apply_reported(
    payload: CallStatusEvent | MessageEventPayload, received_at: datetime
) -> store.Applied:
    """Apply what the ClawOps API reports about a call or message (reconciliation) by the
    webhook's own rules: the same merge, the same unique events, so the same jobs follow.
    No delivery row: nothing was delivered. Errors are raised, not stored."""
    with transaction.atomic(), connection.cursor() as cursor:
        return HANDLERS[type(payload)](cursor, payload, received_at)


def read(content_type: str, body: bytes) -> Payload | Unreadable:
    """The payload of a verified body, or why it cannot be read. Never raises: a signed
    body must be stored whatever it holds, so a reader's own bug becomes the delivery's
    error (with its traceback, for the admin) instead of a 500 the sender retries."""
    try:
        return parse_payload(decode_body(content_type, body))
    except PayloadError as exc:
        return Unreadable(str(exc))
    except Exception as exc:
        # The type only: the message may quote the body, and logs are not for its data.
        logger.error("signed webhook body could not be read: %s", type(exc).__name__)
        return Unreadable(traceback.format_exc(limit=8))


def _apply(
    payload: Payload | Unreadable, received_at: datetime
) -> tuple[str, str, str, store.Applied]:
    """(delivery kind, outcome, error, what was applied) for one read payload."""
    if isinstance(payload, Unreadable):
        return DeliveryKind.UNKNOWN, Outcome.FAILED, payload.error, store.Applied()
    if isinstance(payload, UnknownKind):
        return DeliveryKind.UNKNOWN, Outcome.IGNORED, payload.reason, store.Applied()
    outcome, error, applied = _apply_safely(payload, received_at)
    return kind_of(payload), outcome, error, applied


def kind_of(payload: Payload) -> str:
    if isinstance(payload, CallStatusEvent):
        return DeliveryKind.CALL_STATUS
    if isinstance(payload, TransferEvent):
        return DeliveryKind.TRANSFER
    if isinstance(payload, MessageEventPayload):
        return DeliveryKind.MESSAGE
    if isinstance(payload, ArtifactEvent):
        return payload.kind
    return DeliveryKind.UNKNOWN


# --- applying each kind ------------------------------------------------------------------


def _apply_status(cursor, event: CallStatusEvent, received_at: datetime) -> store.Applied:
    at = event.occurred_at or received_at
    call_pk = store.upsert_call(cursor, store.call_row(event.call_id, event.party, at, event))
    new = store.insert_call_event(
        cursor, call_pk, EventKind.STATUS, event.stage, at, received_at,
        store.status_event_details(event),
    )
    if new and may_start_work(event):
        events.after_call_event(call_pk, EventKind.STATUS, event.stage)
    return store.Applied(call_pk=call_pk, new_event=new)


def may_start_work(event: CallStatusEvent) -> bool:
    """Only an answer or an end can make a call missed or connected-and-finished."""
    return event.stage not in (CallStage.INITIATED, CallStage.RINGING)


def _apply_transfer(cursor, event: TransferEvent, received_at: datetime) -> store.Applied:
    at = event.occurred_at or received_at
    call_pk = store.upsert_call(cursor, store.call_row(event.call_id, event.party, at))
    new = store.insert_call_event(
        cursor, call_pk, EventKind.TRANSFER, event.status, at, received_at, event.details,
        sequence=event.sequence,
    )
    return store.Applied(call_pk=call_pk, new_event=new)


def _apply_message(cursor, event: MessageEventPayload, received_at: datetime) -> store.Applied:
    at = event.occurred_at or received_at
    message_pk = store.upsert_message(cursor, event, at)
    new = store.insert_message_event(cursor, message_pk, event.status, at)
    if new:
        events.after_message_event(message_pk, event.status)
    return store.Applied(message_pk=message_pk, new_event=new)


def _apply_artifact(cursor, event: ArtifactEvent, received_at: datetime) -> store.Applied:
    # The call may not be known yet (events arrive in any order): a bare row holds the link.
    at = event.occurred_at or received_at
    call_pk = store.upsert_call(cursor, store.call_row(event.call_id, Party(), at))
    new = store.insert_call_event(cursor, call_pk, event.kind, event.status, at, received_at, {})
    if new:
        events.after_call_event(call_pk, event.kind)
    return store.Applied(call_pk=call_pk, new_event=new)


# The event table: each recognised payload kind and the handler that applies it.
HANDLERS: dict[type, Callable[..., store.Applied]] = {
    CallStatusEvent: _apply_status,
    TransferEvent: _apply_transfer,
    MessageEventPayload: _apply_message,
    ArtifactEvent: _apply_artifact,
}


def _apply_safely(payload: Payload, received_at: datetime) -> tuple[str, str, store.Applied]:
    """Apply in a savepoint; an error rolls back to it and becomes the delivery's error."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            applied = HANDLERS[type(payload)](cursor, payload, received_at)
    except DATABASE_UNAVAILABLE:
        raise
    except Exception:
        logger.exception("webhook payload could not be applied")
        return Outcome.FAILED, traceback.format_exc(limit=8), store.Applied()
    return (Outcome.PROCESSED if applied.new_event else Outcome.DUPLICATE), "", applied


def _store(
    received: Received,
    kind: str,
    outcome: str,
    error: str = "",
    applied: store.Applied | None = None,
) -> Result:
    applied = applied or store.Applied()
    delivery = WebhookDelivery.objects.create(
        received_at=received.received_at,
        scheme=received.scheme,
        content_type=received.content_type[:128],
        headers=received.headers,
        url=received.url,
        body=received.body,
        kind=kind,
        outcome=outcome,
        error=visible(error),
        call_id=applied.call_pk,
        message_id=applied.message_pk,
    )
    if outcome == Outcome.FAILED:
        logger.warning("webhook delivery %s needs attention (%s): %s", delivery.pk, kind,
                       error[:200], extra={"delivery_id": delivery.pk, "kind": str(kind)})
    return Result(delivery.pk, outcome)


def _record_status_pg(received: Received, event: CallStatusEvent) -> Result:
    """The intake of a status callback as one prepared statement (see calls/store.py)."""
    at = event.occurred_at or received.received_at
    params = store.call_row(event.call_id, event.party, at, event)
    params.update(
        stage=event.stage,
        occurred_at=at,
        received_at=received.received_at,
        details=store.status_event_details(event),
        scheme=received.scheme,
        content_type=received.content_type[:128],
        headers=received.headers,
        url=received.url,
        body=received.body,
        kind=DeliveryKind.CALL_STATUS,
    )
    # The statement alone is its own transaction, jobs of a finished call included. When
    # a rule kept in Python may add jobs too, they must commit with the event, so both run
    # in one transaction; inside a caller's transaction a savepoint keeps a failure here
    # from poisoning it.
    python_rules = events.status_needs_python(event)
    guard = transaction.atomic() if python_rules or connection.in_atomic_block else nullcontext()
    # An event that cannot start work (initiated, ringing) runs without the jobs step.
    jobs_step, extra = None, {}
    if may_start_work(event):
        jobs_step = events.JOBS_STEP
        extra = events.jobs_step_params(received.received_at, event.call_id, event.stage)
    with guard:
        try:
            intake = store.record_status_pg(params, jobs_step, extra)
        except DATABASE_UNAVAILABLE:
            # A kept-alive connection the server dropped (a restart): the statement never
            # ran, so it is safe to reconnect and run it once more. This path skips
            # Django's per-request health check, which would cost a round trip each time.
            dropped = (
                connection.connection is not None
                and not connection.in_atomic_block
                and not connection.is_usable()
            )
            if not dropped:
                raise
            connection.close()
            intake = store.record_status_pg(params, jobs_step, extra)
        if python_rules and intake.outcome == Outcome.PROCESSED:
            events.after_call_event(
                intake.call_pk, EventKind.STATUS, event.stage, follow_ups_planned=True
            )
        if intake.due_job_ids:
            events.wake_on_commit()
    return Result(intake.delivery_id, intake.outcome)
