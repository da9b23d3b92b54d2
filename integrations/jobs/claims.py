"""Claiming a batch of due jobs: one statement claims them and loads what their handlers read.

On PostgreSQL one prepared statement picks up to ``limit`` due rows ``FOR UPDATE SKIP
LOCKED`` (workers claiming at the same moment take different rows and never wait on each
other), claims them (state running, one more attempt, a lease) and returns them joined with
``ledger.CLAIM_RELATED`` — the call, its transcript and summary — which are built into model
instances here, as ``select_related`` would. The rows are picked in a ``MATERIALIZED`` step
of their own: written as ``id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` the planner may
run the pick again for every row it updates, and each run skips the rows the last one
locked, so a claim could take every due job instead of ``limit``.

Elsewhere (SQLite: one writer at a time) a conditional UPDATE claims and the ORM loads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Field, ForeignObjectRel, Model
from django.utils import timezone

from integrations.jobs import ledger, statements
from integrations.models import Job, JobState


@dataclass(frozen=True)
class Batch:
    jobs: list[Job]
    # It took as many as it would: more may be due, for another worker to share.
    full: bool


def claim_batch(limit: int, *, at_least: int | None = None) -> Batch:
    """Claim up to ``limit`` due jobs, oldest due first, and load them for their handlers.

    With ``at_least``, a claim takes at most half of the jobs due (but ``at_least`` of them
    if that many are due), leaving the rest to the workers its full claim wakes: at the end
    of a burst, the workers run out of work together instead of one still draining a full
    batch while the others have nothing left to claim.
    """
    now = timezone.now()
    floor = limit if at_least is None else min(at_least, limit)
    if connection.vendor == "postgresql":
        return _claim_pg(limit, floor, now)
    return _claim_any(limit, floor, now)


def share(limit: int, floor: int, due: int) -> int:
    """How many a claim takes of ``due`` jobs (the statement below computes the same)."""
    return min(limit, max(floor, due // 2))


@dataclass(frozen=True)
class _Loaded:
    """One model a claim loads: the job, or one reached from an earlier part."""

    model: type[Model]
    alias: str
    fields: tuple[Field, ...]
    parent: int | None = None  # index of the part it is reached from
    # A forward foreign key of the parent's model, or a reverse one-to-one relation to it.
    relation: Field | ForeignObjectRel | None = None


@functools.cache
def _parts() -> tuple[_Loaded, ...]:
    """The job and each of ``ledger.CLAIM_RELATED`` ("call", "call__transcript", …)."""
    parts = [_Loaded(Job, "t0", tuple(Job._meta.concrete_fields))]
    index_of = {"": 0}
    for path in ledger.CLAIM_RELATED:
        parent_path, _, name = path.rpartition("__")
        parent = index_of[parent_path]
        relation = parts[parent].model._meta.get_field(name)
        model = relation.related_model
        index_of[path] = len(parts)
        parts.append(_Loaded(model, f"t{len(parts)}", tuple(model._meta.concrete_fields),
                             parent, relation))
    return tuple(parts)


@functools.cache
def _claim_sql() -> str:
    quote = connection.ops.quote_name
    parts = _parts()
    job = quote(Job._meta.db_table)
    columns = ", ".join(f"{part.alias}.{quote(field.column)}"
                        for part in parts for field in part.fields)
    joins = []
    for part in parts[1:]:
        parent = parts[part.parent]
        if isinstance(part.relation, ForeignObjectRel):  # the child holds the key
            on = (f"{part.alias}.{quote(part.relation.field.column)}"
                  f" = {parent.alias}.{quote(part.relation.field.target_field.column)}")
        else:  # the parent holds the key
            on = (f"{part.alias}.{quote(part.relation.target_field.column)}"
                  f" = {parent.alias}.{quote(part.relation.column)}")
        joins.append(f" LEFT JOIN {quote(part.model._meta.db_table)} {part.alias} ON {on}")
    # $1 pending, $2 now, $3 limit, $4 running, $5 lease until, $6 floor (see share()):
    # the due jobs are counted up to twice the limit, all that share() needs. The update
    # joins the picked rows by id alone: they are locked by the pick, so still pending (a
    # second test of the state led the planner to scan every pending row once per pick).
    return (
        f"WITH due AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT 1 FROM {job}"
        f" WHERE state = $1 AND next_attempt_at <= $2 LIMIT 2 * $3) up_to),"
        f" take AS MATERIALIZED (SELECT least($3, greatest($6, (SELECT n FROM due) / 2)) AS n),"
        f" picked AS MATERIALIZED (SELECT id FROM {job}"
        f" WHERE state = $1 AND next_attempt_at <= $2"
        f" ORDER BY next_attempt_at LIMIT (SELECT n FROM take) FOR UPDATE SKIP LOCKED),"
        f" claimed AS (UPDATE {job} SET state = $4, attempts = attempts + 1,"
        f" lease_until = $5, sending_since = NULL, updated_at = $2"
        f" FROM picked WHERE {job}.id = picked.id RETURNING {job}.*)"
        f" SELECT (SELECT n FROM take), {columns} FROM claimed t0{''.join(joins)}"
        f" ORDER BY t0.next_attempt_at, t0.id"
    )


def _claim_pg(limit: int, floor: int, now: datetime) -> Batch:
    rows = statements.execute(_claim_sql(), [
        JobState.PENDING.value, now, limit, JobState.RUNNING.value, now + ledger.lease(), floor,
    ]).fetchall()
    return Batch(_build([row[1:] for row in rows]), full=bool(rows) and len(rows) == rows[0][0])


def _build(rows: list[tuple]) -> list[Job]:
    """Model instances from the claim's rows, related ones cached where the handlers look
    (``job.call``, ``call.transcript``, …; None where the row has none)."""
    parts = _parts()
    db = connection.alias
    loaders = [(part, _converters(part), [field.attname for field in part.fields],
                part.fields.index(part.model._meta.pk)) for part in parts]
    jobs = []
    for row in rows:
        built: list[Model | None] = []
        start = 0
        for part, converters, names, pk in loaders:
            values = list(row[start:start + len(names)])
            start += len(names)
            if values[pk] is None:  # no row joined
                built.append(None)
                continue
            for index, convert in converters:
                values[index] = convert(values[index])
            built.append(part.model.from_db(db, names, values))
        for part, obj in zip(parts[1:], built[1:], strict=True):
            parent = built[part.parent]
            if parent is None:
                continue
            part.relation.set_cached_value(parent, obj)
            if obj is not None and isinstance(part.relation, ForeignObjectRel):
                part.relation.field.set_cached_value(obj, parent)
        jobs.append(built[0])
    return jobs


def _converters(part: _Loaded) -> list[tuple[int, Callable[[object], object]]]:
    """What Django applies to a column's value as read (JSON text to data, for one)."""
    result = []
    for index, field in enumerate(part.fields):
        expression = field.get_col(part.alias)
        functions = (connection.ops.get_db_converters(expression)
                     + field.get_db_converters(connection))
        if functions:
            result.append((index, _chain(functions, expression)))
    return result


def _chain(functions: list, expression) -> Callable[[object], object]:
    def convert(value: object) -> object:
        for function in functions:
            value = function(value, expression, connection)
        return value

    return convert


def _claim_any(limit: int, floor: int, now: datetime) -> Batch:
    table = connection.ops.quote_name(Job._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        due = Job.objects.filter(state=JobState.PENDING, next_attempt_at__lte=now)
        take = share(limit, floor, due[:2 * limit].count())
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET state = %s, attempts = attempts + 1, lease_until = %s,"
                f" sending_since = NULL, updated_at = %s"
                f" WHERE state = %s AND id IN (SELECT id FROM {table}"
                f" WHERE state = %s AND next_attempt_at <= %s"
                f" ORDER BY next_attempt_at LIMIT %s)"
                f" RETURNING id",
                [JobState.RUNNING, adapt(now + ledger.lease()), adapt(now), JobState.PENDING,
                 JobState.PENDING, adapt(now), take],
            )
            ids = [row[0] for row in cursor.fetchall()]
    jobs = list(Job.objects.select_related(*ledger.CLAIM_RELATED).filter(pk__in=ids)
                .order_by("next_attempt_at", "pk")) if ids else []
    return Batch(jobs, full=bool(ids) and len(ids) == take)
