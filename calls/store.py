"""The call log's writes, as SQL that merges instead of overwriting.

Each write is an upsert whose ON CONFLICT clause holds a merge rule that gives the same
result whatever order events arrive in (product.md §5 rule 4):

- a status replaces one of lower rank only (calls/vocabulary.py);
- each stage keeps the earliest timestamp reported for it;
- parties, answered-by and hang-up fields keep the first non-empty value;
- an event row is inserted once per key, and ``RETURNING`` tells whether this delivery
  was the one that inserted it.

The statements run unchanged on PostgreSQL and SQLite. On PostgreSQL the whole intake of a
status callback is also available as one prepared statement (``record_status_pg``):
round trips, not SQL, are what a webhook costs.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone
from psycopg.types.json import Jsonb

from calls import prepared
from calls.payloads import CallStatusEvent, MessageEventPayload, Party
from calls.vocabulary import (
    CALL_STATUS_RANK,
    MESSAGE_STATUS_RANK,
    STAGE_TO_CALL_STATUS,
    CallStage,
)

_FIRST_NON_EMPTY = "{col} = CASE WHEN {t}.{col} = '' THEN excluded.{col} ELSE {t}.{col} END"
_EARLIEST = (
    "{col} = CASE WHEN {t}.{col} IS NULL OR excluded.{col} < {t}.{col} "
    "THEN COALESCE(excluded.{col}, {t}.{col}) ELSE {t}.{col} END"
)
_LARGEST = (
    "{col} = CASE WHEN {t}.{col} IS NULL OR excluded.{col} > {t}.{col} "
    "THEN COALESCE(excluded.{col}, {t}.{col}) ELSE {t}.{col} END"
)
# Details of how a call ended come from its highest-ranked status that has them, so an
# "answered" event's AnsweredBy yields to the final event's whatever order they arrive in.
_FROM_HIGHER_RANK = (
    "{col} = CASE WHEN excluded.{col} <> '' AND ({t}.{col} = '' "
    "OR excluded.status_rank > {t}.status_rank) THEN excluded.{col} ELSE {t}.{col} END"
)
_HIGHER_RANK = (
    "{col} = CASE WHEN excluded.status_rank > {t}.status_rank "
    "THEN excluded.{col} ELSE {t}.{col} END"
)


def _merge(table_alias: str, rules: dict[str, tuple[str, ...]]) -> str:
    templates = {
        "first": _FIRST_NON_EMPTY,
        "ranked": _FROM_HIGHER_RANK,
        "earliest": _EARLIEST,
        "largest": _LARGEST,
        "rank": _HIGHER_RANK,
    }
    return ",\n    ".join(
        templates[rule].format(col=col, t=table_alias)
        for rule, cols in rules.items()
        for col in cols
    )


_CALL_COLUMNS = (
    "call_id", "direction", "from_number", "to_number", "from_raw", "to_raw", "status",
    "status_rank", "duration", "answered_by", "hangup_cause", "hangup_source",
    "sip_response_code", "recording_url", "started_at", "initiated_at", "ringing_at",
    "answered_at", "ended_at",
)
_CALL_MERGE = _merge(
    "c",
    {
        "first": ("direction", "from_number", "to_number", "from_raw", "to_raw"),
        "ranked": ("answered_by", "hangup_cause", "hangup_source", "recording_url"),
        "earliest": ("started_at", "initiated_at", "ringing_at", "answered_at", "ended_at"),
        "largest": ("duration", "sip_response_code"),
        # status before status_rank: both must compare against the old rank.
        "rank": ("status", "status_rank"),
    },
)
CALL_UPSERT = f"""
INSERT INTO calls_call AS c ({", ".join(_CALL_COLUMNS)})
VALUES ({", ".join(f"%({col})s" for col in _CALL_COLUMNS)})
ON CONFLICT (call_id) DO UPDATE SET
    {_CALL_MERGE}
RETURNING id, call_id, status, direction, duration, answered_at"""

_EVENT_COLUMNS = "call_id, kind, status, sequence, occurred_at, received_at, details"
CALL_EVENT_INSERT = f"""
INSERT INTO calls_callevent ({_EVENT_COLUMNS})
VALUES (%(call_pk)s, %(kind)s, %(status)s, %(sequence)s, %(occurred_at)s, %(received_at)s,
        %(details)s)
ON CONFLICT (call_id, kind, sequence, status) DO NOTHING
RETURNING id"""

_MESSAGE_COLUMNS = (
    "message_id", "direction", "type", "status", "status_rank", "from_number", "to_number",
    "from_raw", "to_raw", "subject", "body", "media_urls", "account_id", "created_at",
)
_MESSAGE_MERGE = _merge(
    "m",
    {
        "first": ("direction", "type", "from_number", "to_number", "from_raw", "to_raw",
                  "subject", "body", "account_id"),
        "earliest": ("created_at",),
        "rank": ("status", "status_rank"),
    },
)
MESSAGE_UPSERT = f"""
INSERT INTO calls_message AS m ({", ".join(_MESSAGE_COLUMNS)})
VALUES ({", ".join(f"%({col})s" for col in _MESSAGE_COLUMNS)})
ON CONFLICT (message_id) DO UPDATE SET
    {_MESSAGE_MERGE},
    media_urls = CASE WHEN m.media_urls = '[]' THEN excluded.media_urls ELSE m.media_urls END
RETURNING id"""

MESSAGE_EVENT_INSERT = """
INSERT INTO calls_messageevent (message_id, status, occurred_at)
VALUES (%(message_pk)s, %(status)s, %(occurred_at)s)
ON CONFLICT (message_id, status) DO NOTHING
RETURNING id"""


@dataclass(frozen=True)
class Applied:
    """What applying one payload did: the rows it touched, and whether it added an event."""

    call_pk: int | None = None
    message_pk: int | None = None
    new_event: bool = False


def _moment(value: datetime | None) -> object:
    # SQLite compares timestamps as text, so they must all be in Django's one format.
    return connection.ops.adapt_datetimefield_value(value)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def call_row(
    call_id: str, party: Party, at: datetime, status_event: CallStatusEvent | None = None
) -> dict[str, object]:
    """Parameters for CALL_UPSERT: what one event knows about its call."""
    row: dict[str, object] = {
        "call_id": call_id,
        "direction": party.direction,
        "from_number": party.from_number[:64],
        "to_number": party.to_number[:64],
        "from_raw": party.from_raw[:128],
        "to_raw": party.to_raw[:128],
        "status": "",
        "status_rank": 0,
        "duration": None,
        "answered_by": "",
        "hangup_cause": "",
        "hangup_source": "",
        "sip_response_code": None,
        "recording_url": "",
        "started_at": at,
        "initiated_at": None,
        "ringing_at": None,
        "answered_at": None,
        "ended_at": None,
    }
    if status_event is not None:
        e = status_event
        status = STAGE_TO_CALL_STATUS[e.stage]
        stage_column = {
            CallStage.INITIATED: "initiated_at",
            CallStage.RINGING: "ringing_at",
            CallStage.ANSWERED: "answered_at",
        }.get(e.stage, "ended_at")
        row.update(
            status=status,
            status_rank=CALL_STATUS_RANK[status],
            duration=e.duration,
            answered_by=e.answered_by,
            hangup_cause=e.hangup_cause,
            hangup_source=e.hangup_source,
            sip_response_code=e.sip_response_code,
            recording_url=e.recording_url,
            **{stage_column: at},
        )
    return row


def upsert_call(cursor, row: dict[str, object]) -> int:
    params = {k: _moment(v) if isinstance(v, datetime) else v for k, v in row.items()}
    cursor.execute(CALL_UPSERT, params)
    return cursor.fetchone()[0]


def insert_call_event(
    cursor,
    call_pk: int,
    kind: str,
    status: str,
    at: datetime,
    received_at: datetime,
    details: dict[str, object],
    sequence: int = 0,
) -> bool:
    cursor.execute(
        CALL_EVENT_INSERT,
        {
            "call_pk": call_pk,
            "kind": kind,
            "status": status,
            "sequence": sequence,
            "occurred_at": _moment(at),
            "received_at": _moment(received_at),
            "details": _json(details),
        },
    )
    return cursor.fetchone() is not None


def upsert_message(cursor, event: MessageEventPayload, at: datetime) -> int:
    party = event.party
    cursor.execute(
        MESSAGE_UPSERT,
        {
            "message_id": event.message_id,
            "direction": party.direction,
            "type": event.type,
            "status": event.status,
            "status_rank": MESSAGE_STATUS_RANK[event.status],
            "from_number": party.from_number[:64],
            "to_number": party.to_number[:64],
            "from_raw": party.from_raw[:128],
            "to_raw": party.to_raw[:128],
            "subject": event.subject,
            "body": event.body,
            "media_urls": _json(list(event.media_urls)),
            "account_id": event.account_id,
            "created_at": _moment(at),
        },
    )
    return cursor.fetchone()[0]


def insert_message_event(cursor, message_pk: int, status: str, at: datetime) -> bool:
    cursor.execute(
        MESSAGE_EVENT_INSERT,
        {"message_pk": message_pk, "status": status, "occurred_at": _moment(at)},
    )
    return cursor.fetchone() is not None


def status_event_details(event: CallStatusEvent) -> dict[str, object]:
    """The optional fields a status callback carried, for the event timeline."""
    details = {
        "answered_by": event.answered_by,
        "duration": event.duration,
        "hangup_cause": event.hangup_cause,
        "hangup_source": event.hangup_source,
        "sip_response_code": event.sip_response_code,
    }
    return {k: v for k, v in details.items() if v not in ("", None)}



_DELIVERY_COLUMNS = (
    "received_at, scheme, content_type, headers, url, body, kind, outcome, error, call_id, "
    "message_id, replayed_at"
)
# The whole intake of a status callback: upsert the call, insert the event once, and store
# the delivery with an outcome that says whether its event was new. One round trip. The
# caller adds the step ``j`` that inserts the jobs the event starts, reading the merged call
# ``c`` and the new event ``e`` (integrations/follow_ups/rules.py owns it: the call log does not
# know the ledger); the ids of those jobs due now come back to be enqueued.
STATUS_INTAKE_STEPS = f"""
c AS ({CALL_UPSERT}),
e AS (
    INSERT INTO calls_callevent ({_EVENT_COLUMNS})
    SELECT c.id, 'status', %(stage)s, 0, %(occurred_at)s, %(received_at)s, %(details)s FROM c
    ON CONFLICT (call_id, kind, sequence, status) DO NOTHING
    RETURNING id
),
d AS (
    INSERT INTO calls_webhookdelivery ({_DELIVERY_COLUMNS})
    SELECT %(received_at)s, %(scheme)s, %(content_type)s, %(headers)s, %(url)s, %(body)s,
           %(kind)s,
           CASE WHEN EXISTS (SELECT 1 FROM e) THEN 'processed' ELSE 'duplicate' END,
           '', c.id, NULL, NULL
    FROM c
    RETURNING id, outcome, call_id
)"""


@dataclass(frozen=True)
class StatusIntake:
    delivery_id: int
    outcome: str
    call_pk: int
    due_job_ids: list[int]


_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s")


@functools.cache
def numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """The statement with PostgreSQL's own ``$n`` placeholders, and the names in ``$n`` order.

    psycopg parses ``%(name)s`` placeholders on every execution of a statement longer than
    4 KiB (it caches only shorter ones); this one is longer, so it is numbered once here
    and run with a raw cursor.
    """
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED_PARAMETER.sub(number, sql).encode(), tuple(names)


@functools.cache
def status_intake_sql(jobs_step: str | None) -> str:
    """The whole statement; ``jobs_step`` None for an event that cannot start work (a call
    initiated or ringing): without the step PostgreSQL does not even open the job table."""
    if jobs_step is None:
        return (f"WITH {STATUS_INTAKE_STEPS}\n"
                "SELECT d.id, d.outcome, d.call_id, '{}'::bigint[] FROM d")
    due_jobs = "ARRAY(SELECT id FROM j WHERE next_attempt_at <= %(received_at)s)"
    return (f"WITH {STATUS_INTAKE_STEPS},{jobs_step}\n"
            f"SELECT d.id, d.outcome, d.call_id, {due_jobs} FROM d")


def record_status_pg(
    params: dict[str, object], jobs_step: str | None, jobs_params: dict[str, object]
) -> StatusIntake:
    """Run the status intake as one statement prepared on the server (calls/prepared.py)."""
    values = dict(params, details=Jsonb(params["details"]), headers=Jsonb(params["headers"]),
                  **jobs_params)
    sql, names = numbered(status_intake_sql(jobs_step))
    cursor = prepared.execute(sql, [values[name] for name in names])
    delivery_id, outcome, call_pk, job_ids = cursor.fetchone()
    return StatusIntake(delivery_id, outcome, call_pk, list(job_ids))


def record_placed_call(call_id: str, from_raw: str, to_raw: str) -> int:
    """Enter a call clawsite just placed through the API, so its status callbacks (which
    may already be arriving) and the object that placed it share one row."""
    party = Party(direction="outbound", from_raw=from_raw, to_raw=to_raw)
    row = call_row(call_id, party, timezone.now())
    row.update(status="queued", status_rank=CALL_STATUS_RANK["queued"])
    with connection.cursor() as cursor:
        return upsert_call(cursor, row)
