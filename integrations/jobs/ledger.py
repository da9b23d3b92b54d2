"""The job ledger's life cycle: add, claim, run, record, sweep (product.md §5 rule 6).

- ``add`` writes a row in the caller's transaction and wakes a worker only once that
  transaction commits (``wakeups``: one waiting message stands for every due job); the
  unique (kind, subject) makes a second add a no-op.
- ``run`` claims the row with a conditional UPDATE, so two workers (or a message delivered
  twice) never run one job twice, calls its handler (``execute``), and records the outcome
  with another conditional UPDATE that only the claimant can make (``record``). A woken
  worker does the same for many jobs at once (``batches``).
- ``sweep`` (every minute) takes back rows whose worker died and wakes a worker when rows
  are due, so a lost message or a killed worker only delays work.
"""

from __future__ import annotations

import functools
import json
import logging
import traceback
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from integrations.jobs import kinds, outcomes, reasons, statements, wakeups
from integrations.models import Job, JobState
from integrations.outbound.http import OutboundError

logger = logging.getLogger(__name__)

# What a claimed job is loaded with: its call, and what the CRM record sends of it.
CLAIM_RELATED = ("call", "call__transcript", "call__summary")


def lease() -> timedelta:
    # Longer than django-q's own task timeout, which stops a hung task first.
    return timedelta(seconds=settings.JOB_TIMEOUT_SECONDS + 30)


def add(
    kind: str,
    subject: str,
    *,
    call_id: int | None = None,
    due_at=None,
    payload: dict | None = None,
    group_key: str = "",
) -> Job | None:
    """Add a job unless (kind, subject) already has one; return the new row or None."""
    now = timezone.now()
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind, subject=subject[:128], call_id=call_id, group_key=group_key[:128],
                next_attempt_at=due_at or now, payload=payload or {},
            )
    except IntegrityError:
        return None
    if job.next_attempt_at <= now:
        wake_on_commit()
    return job


def make_due_now(kind: str, subject: str) -> bool:
    """Move a waiting job's next attempt to now (a transcript is ready, say)."""
    moved = Job.objects.filter(kind=kind, subject=subject, state=JobState.PENDING).update(
        next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    if moved:
        wake_on_commit()
    return bool(moved)


def reopen(job: Job, *, reset_attempts: bool = False) -> bool:
    """Make a finished (or given-up) job due again now; used by "retry now" and by events."""
    updates: dict[str, object] = {
        "state": JobState.PENDING,
        "next_attempt_at": timezone.now(),
        "lease_until": None,
        "sending_since": None,
        "finished_at": None,
        "updated_at": timezone.now(),
    }
    if reset_attempts:
        updates["attempts"] = 0
    changed = Job.objects.filter(pk=job.pk).exclude(state=JobState.RUNNING).update(**updates)
    if changed:
        wake_on_commit()
    return bool(changed)


def wake_on_commit() -> None:
    """Wake a worker for work this transaction makes due, once it commits."""
    transaction.on_commit(wakeups.wake)


def claim(job_id: int) -> Job | None:
    now = timezone.now()
    claimed = Job.objects.filter(
        pk=job_id, state=JobState.PENDING, next_attempt_at__lte=now
    ).update(
        state=JobState.RUNNING, attempts=F("attempts") + 1, lease_until=now + lease(),
        sending_since=None, updated_at=now,
    )
    return Job.objects.select_related(*CLAIM_RELATED).get(pk=job_id) if claimed else None


_MARK_SENDING = (f"UPDATE {Job._meta.db_table} SET sending_since = {{now}}, updated_at = {{now}}"
                 " WHERE id = {id} AND state = {state} AND attempts = {attempts}")
_MARK_SENDING_PG = _MARK_SENDING.format(now="$1", id="$2", state="$3", attempts="$4")
_MARK_SENDING_ANY = _MARK_SENDING.format(now="%(now)s", id="%(id)s", state="%(state)s",
                                         attempts="%(attempts)s")


class ClaimLost(Exception):
    """The job's claim no longer stands (its lease ran out and the sweeper or another worker
    took it): this run must send nothing."""


def mark_sending(job: Job) -> None:
    """Record that a request is about to leave; from here a dead worker leaves doubt. Raise
    ClaimLost, before anything is sent, when the claim no longer stands.

    Every job that sends pays for this statement, so on PostgreSQL it is a prepared one
    (``statements``); it means the same as
    ``Job.objects.filter(pk=…, state=RUNNING, attempts=…).update(sending_since=now, …)``.
    Outside a transaction (a worker's thread) it is committed when it returns.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        marked = statements.execute(_MARK_SENDING_PG,
                                    [now, job.pk, JobState.RUNNING.value, job.attempts]).rowcount
    else:
        with connection.cursor() as cursor:
            cursor.execute(_MARK_SENDING_ANY, {
                "now": connection.ops.adapt_datetimefield_value(now), "id": job.pk,
                "state": JobState.RUNNING.value, "attempts": job.attempts})
            marked = cursor.rowcount
    if not marked:
        raise ClaimLost(f"job {job.pk}: its claim no longer stands; nothing was sent")
    job.sending_since = now


def run(job_id: int) -> str:
    """Claim the job, run its handler, record what happened; return the new state."""
    job = claim(job_id)
    if job is None:
        return "not claimed"  # done already, not due, or another worker has it
    return record(job, execute(job))


@dataclass(frozen=True)
class Verdict:
    """What a run decided, before it is written: ``record`` turns it into column values at
    the moment of writing, so equal verdicts of a batch are written by one statement."""

    state: str
    error: str = ""
    result: dict | None = None
    # For a job going back to pending: seconds until its next attempt.
    retry_in: float | None = None
    # NotYet: the run gives its attempt back and counts a poll instead.
    polls: int | None = None

    @property
    def transient(self) -> bool:
        """A failure that another try may cure (the job goes back to pending)."""
        return self.state == JobState.PENDING and self.polls is None


def execute(job: Job) -> Verdict:
    """Run a claimed job's handler and say what happened; writes only what the handler does."""
    kind = kinds.table().get(job.kind)
    if kind is None:
        return _finished(job, JobState.FAILED, error=f"no handler for job kind {job.kind!r}")
    missing = kinds.missing_settings(kind.integration)
    if missing:
        return _finished(job, JobState.SKIPPED,
                         error=reasons.integration_off(kind.integration, missing))
    try:
        outcome = kind.handler(job)
    except ClaimLost as exc:
        # Whoever holds the job now runs it; this verdict is not written (record_many
        # writes only where the claim stands).
        logger.warning("%s", exc)
        return _retry_later(job, str(exc), None)
    except OutboundError as exc:
        if exc.unknown and not kind.resend_when_in_doubt:
            return _finished(job, JobState.UNKNOWN, error=f"{exc} — it may have arrived; "
                             "check before retrying")
        if exc.permanent:
            return _finished(job, JobState.FAILED, error=str(exc))
        return _retry_later(job, str(exc), exc.retry_after)
    except Exception:
        logger.exception("job %s (%s) raised", job.pk, job.kind)
        return crashed(job)
    if isinstance(outcome, outcomes.Skipped):
        return _finished(job, JobState.SKIPPED, error=outcome.reason)
    if isinstance(outcome, outcomes.NotYet):
        # Waiting is not failing: the run gives its attempt back, so polls never use up
        # the retries a later transient failure needs; polls are counted on their own.
        return Verdict(JobState.PENDING, error=outcome.reason, retry_in=outcome.after_seconds,
                       polls=polls(job) + 1)
    return _finished(job, JobState.DONE, result=outcome.result)


def crashed(job: Job) -> Verdict:
    """The verdict on a run that raised unexpectedly (called from the ``except`` block)."""
    error = traceback.format_exc(limit=6)
    kind = kinds.table().get(job.kind)
    if job.sending_since and not (kind and kind.resend_when_in_doubt):
        # It failed after its request left: the call or SMS may exist.
        return _finished(job, JobState.UNKNOWN, error=error)
    return _retry_later(job, error, None)


def polls(job: Job) -> int:
    """How many times the job has come back with NotYet."""
    return int(job.payload.get("polls", 0))


def _retry_later(job: Job, error: str, retry_after: float | None) -> Verdict:
    delays = settings.JOB_RETRY_DELAYS
    index = job.attempts - 1
    if index >= len(delays):
        return _finished(job, JobState.FAILED,
                         error=f"gave up after {job.attempts} attempts: {error}")
    return Verdict(JobState.PENDING, error=error, retry_in=max(delays[index], retry_after or 0))


def _finished(job: Job, state: str, *, error: str = "", result: dict | None = None) -> Verdict:
    return Verdict(state, error=error, result=result)


def record(job: Job, verdict: Verdict) -> str:
    """Record one outcome, only if this worker still holds the claim it made."""
    record_many([(job, verdict)])
    return str(verdict.state)


def record_many(results: list[tuple[Job, Verdict]]) -> int:
    """Record outcomes with one UPDATE per distinct verdict (and attempt number), each only
    where the claim still stands (state running, the attempt this worker claimed); a
    worker that lost its claim records nothing. Returns the rows written."""
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    verdicts: dict[tuple[object, ...], Verdict] = {}
    for job, verdict in results:
        # NotYet's payload is the row's own (with one more poll): a group of its own.
        payload = json.dumps({**job.payload, "polls": verdict.polls}, sort_keys=True) \
            if verdict.polls is not None else ""
        key = (verdict.state, verdict.error, json.dumps(verdict.result, sort_keys=True),
               verdict.retry_in, job.attempts, payload)
        groups[key].append(job.pk)
        verdicts[key] = verdict
    now = timezone.now()
    jobs = {job.pk: job for job, _ in results}
    written = 0
    for key, ids in groups.items():
        verdict, attempts, payload = verdicts[key], key[4], key[5]
        fields: dict[str, object] = {"state": verdict.state, "last_error": verdict.error}
        if verdict.state == JobState.PENDING:
            fields["next_attempt_at"] = now + timedelta(seconds=verdict.retry_in or 0)
            # The message that woke this run is spent: the sweeper wakes a worker as soon
            # as the row falls due.
            fields["enqueued_at"] = None
        else:
            fields["finished_at"] = now
        if verdict.result is not None:
            fields["result"] = verdict.result
        if payload:
            fields["attempts"] = int(attempts) - 1
            fields["payload"] = json.loads(payload)
        recorded = _update_claimed(ids, int(attempts), {
            **fields, "lease_until": None, "sending_since": None, "updated_at": now})
        if recorded and recorded < len(ids):
            # Some lost their claim meanwhile (rare): log only the rows written.
            ids = list(Job.objects.filter(pk__in=ids, updated_at=now, state=verdict.state)
                       .values_list("pk", flat=True))
        for pk in ids if recorded else ():
            _log_outcome(jobs[pk], str(verdict.state), verdict.error)
        written += recorded
    return written


def _update_claimed(ids: list[int], attempts: int, fields: dict[str, object]) -> int:
    """Write ``fields`` to the rows whose claim still stands (state running, this attempt);
    return how many. Each worker writes outcomes ten times a second: on PostgreSQL this is
    one prepared statement per set of columns, not a query the ORM builds and quotes anew
    (values are prepared by their fields, as the ORM would)."""
    if connection.vendor != "postgresql":
        return Job.objects.filter(pk__in=ids, state=JobState.RUNNING, attempts=attempts
                                  ).update(**fields)
    names = tuple(sorted(fields))
    values = [Job._meta.get_field(name).get_db_prep_save(fields[name], connection)
              for name in names]
    return statements.execute(_update_claimed_sql(names),
                              [*values, ids, JobState.RUNNING.value, attempts]).rowcount


@functools.cache
def _update_claimed_sql(names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(Job._meta.get_field(name).column)} = ${number}"
                     for number, name in enumerate(names, start=1))
    after = len(names)
    return (f"UPDATE {quote(Job._meta.db_table)} SET {sets} WHERE id = ANY(${after + 1}::bigint[])"
            f" AND state = ${after + 2} AND attempts = ${after + 3}")


def _log_outcome(job: Job, state: str, reason: str) -> None:
    """One line per job outcome; failed and 결과 확인 필요 need a person."""
    level = logging.WARNING if state in (JobState.FAILED, JobState.UNKNOWN) else logging.INFO
    if not logger.isEnabledFor(level):
        return  # (a worker logging at WARNING records thousands of jobs a second)
    reason = reason.strip().splitlines()[-1][:300] if reason.strip() else ""
    logger.log(level, "job %s (%s) %s%s", job.pk, job.kind, state,
               f": {reason}" if reason else "",
               extra={"job_id": job.pk, "job_kind": job.kind, "state": state,
                      "reason": reason})


def sweep() -> dict[str, int]:
    """Take back rows whose worker died; wake a worker if rows are due. Safe to run anywhere.

    Two statements settle every lapsed claim at once, however many a dead worker's batch
    held: one whose request may have arrived becomes unknown unless its receiver dedupes;
    every other goes back to pending, due now.
    """
    now = timezone.now()
    lapsed = Job.objects.filter(state=JobState.RUNNING, lease_until__lt=now)
    resendable = [name for name, kind in kinds.table().items() if kind.resend_when_in_doubt]
    unknown = lapsed.filter(sending_since__isnull=False).exclude(kind__in=resendable).update(
        state=JobState.UNKNOWN, finished_at=now, lease_until=None, updated_at=now,
        last_error=reasons.WORKER_STOPPED_SENDING,
    )
    requeued = lapsed.update(
        state=JobState.PENDING, next_attempt_at=now, lease_until=None, sending_since=None,
        enqueued_at=None, updated_at=now,
        last_error=reasons.WORKER_STOPPED,
    )
    due = Job.objects.filter(state=JobState.PENDING, next_attempt_at__lte=now).exists()
    woken = wakeups.wake(unless_queued=True) if due else False
    return {"requeued": requeued, "unknown": unknown, "enqueued": int(woken)}
