"""The jobs a call's status sets in motion, decided from the call's merged state alone:

- a connected, finished call: fetch its transcript and summary, and send the CRM record once
  they are final (product.md S3);
- the end of a call placed for an order (or an answer arriving after that end): settle the
  order, in a job, which may plan one more try (S2).

Each rule is kept here in its two forms, side by side:

- in Python (``plan_for``, ``plan_settlement``), used wherever the ORM applies an event
  (SQLite, replays, transcript events);
- as ``JOBS_STEP``, a step of the PostgreSQL single-statement intake (calls/store.py), so a
  status callback stays one round trip: the job rows commit with the event in the same
  statement, as the ledger requires.

tests/integrations/follow_ups/test_rules.py runs the same event sequences through both and
compares the jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from calls.models import Call
from calls.vocabulary import FINAL_CALL_STATUSES, MISSED_STATUSES, CallStatus, Direction
from integrations.jobs import kinds, ledger
from integrations.models import Order


def needs_follow_up(call: Call) -> bool:
    return call.status in FINAL_CALL_STATUSES and call.connected and not call.is_missed


def due_times(now: datetime) -> dict[str, datetime]:
    first_poll = settings.ARTIFACT_POLL_DELAYS[0] if settings.ARTIFACT_POLL_DELAYS else 0
    return {
        kinds.FETCH_ARTIFACTS: now + timedelta(seconds=first_poll),
        # Sent when transcript and summary are final, or after this wait with what exists.
        kinds.CRM_ACTIVITY: now + timedelta(seconds=settings.CRM_MAX_WAIT_SECONDS),
    }


def plan_for(call: Call) -> None:
    for kind, due_at in due_times(timezone.now()).items():
        ledger.add(kind, call.call_id, call_id=call.pk, due_at=due_at)


def settlement_subject(call_id: str, stage: str) -> str:
    # One settlement per event: a later event (a late answer) settles again, idempotently.
    return f"{call_id}:{stage}"


def plan_settlement(call: Call, stage: str) -> None:
    if call.status in FINAL_CALL_STATUSES and call.orders.exists():
        ledger.add(kinds.ORDER_SETTLE, settlement_subject(call.call_id, stage), call_id=call.pk)


def _sql_list(values) -> str:
    return ", ".join(f"'{value}'" for value in sorted(values))


# The same rules over the merged call row ``c`` of the intake statement, for a new event
# ``e``. Values are the project's own constants, not input. NULLs are spelled out: in SQL
# "duration = 0" on an unknown duration is neither true nor false, in Python it is False.
# The middle line is Call.connected (calls/models.py), the last one Call.is_missed.
_FINAL = f"c.status IN ({_sql_list(FINAL_CALL_STATUSES)})"
_CONNECTED_AND_FINISHED = f"""{_FINAL}
          AND (c.duration > 0 OR (c.duration IS NULL AND c.answered_at IS NOT NULL))
          AND NOT (c.direction = '{Direction.INBOUND}'
                   AND (c.status IN ({_sql_list(MISSED_STATUSES)})
                        OR (c.status = '{CallStatus.COMPLETED}' AND c.duration IS NOT NULL
                            AND c.duration = 0)))"""
_PLACED_FOR_AN_ORDER = f"""{_FINAL}
          AND EXISTS (SELECT 1 FROM {Order.calls.through._meta.db_table} link
                      WHERE link.call_id = c.id)"""
JOBS_STEP = f"""
j AS (
    INSERT INTO integrations_job (kind, subject, group_key, call_id, state, attempts,
                                  next_attempt_at, last_error, payload, result, created_at,
                                  updated_at)
    SELECT k.kind, k.subject, '', c.id, 'pending', 0, k.due, '', '{{}}'::jsonb,
           '{{}}'::jsonb, %(now)s, %(now)s
    FROM c CROSS JOIN LATERAL (
        SELECT '{kinds.FETCH_ARTIFACTS}', c.call_id, %(artifacts_due)s::timestamptz
        WHERE {_CONNECTED_AND_FINISHED}
        UNION ALL
        SELECT '{kinds.CRM_ACTIVITY}', c.call_id, %(crm_due)s::timestamptz
        WHERE {_CONNECTED_AND_FINISHED}
        UNION ALL
        SELECT '{kinds.ORDER_SETTLE}', %(settlement_subject)s, %(now)s
        WHERE {_PLACED_FOR_AN_ORDER}
    ) AS k(kind, subject, due)
    WHERE EXISTS (SELECT 1 FROM e)
    ON CONFLICT (kind, subject) DO NOTHING
    RETURNING id, next_attempt_at
)"""


def jobs_step_params(now: datetime, call_id: str, stage: str) -> dict[str, object]:
    """The parameters of JOBS_STEP. The intake adds the step only for an event whose stage
    can start work at all (calls.intake.may_start_work, the Python path's same question)."""
    due = due_times(now)
    return {"now": now, "artifacts_due": due[kinds.FETCH_ARTIFACTS],
            "crm_due": due[kinds.CRM_ACTIVITY],
            "settlement_subject": settlement_subject(call_id, stage)}
