"""The job ledger's life cycle: add, claim, run, record, sweep (product.md §5 rule 6).

- ``add`` writes a row in the caller's transaction and sends a queue message only once that
  transaction commits; the unique (kind, subject) makes a second add a no-op.
- ``run`` claims the row with a conditional UPDATE, so two workers (or a message delivered
  twice) never run one job twice, calls its handler, and records the outcome with another
  conditional UPDATE that only the claimant can make.
- ``sweep`` (every minute) re-sends queue messages for due rows and takes back rows whose
  worker died, so a lost message or a killed worker only delays work.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.jobs import kinds, outcomes, reasons
from integrations.models import Job, JobState
from integrations.outbound.http import OutboundError

logger = logging.getLogger(__name__)

# A due row whose queue message is older than this gets another one from the sweeper.
REENQUEUE_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 500


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
        enqueue_on_commit(job.pk)
    return job


def make_due_now(kind: str, subject: str) -> bool:
    """Move a waiting job's next attempt to now (a transcript is ready, say)."""
    moved = Job.objects.filter(kind=kind, subject=subject, state=JobState.PENDING).update(
        next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    if moved:
        job_id = Job.objects.values_list("pk", flat=True).get(kind=kind, subject=subject)
        enqueue_on_commit(job_id)
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
        enqueue_on_commit(job.pk)
    return bool(changed)


def enqueue_on_commit(job_id: int) -> None:
    transaction.on_commit(lambda: enqueue(job_id))


def enqueue(job_id: int) -> None:
    """Send the queue message that wakes a worker for this job. Never raises: if the broker
    is down, the sweeper sends it later."""
    from django_q.tasks import async_task

    try:
        Job.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
        async_task("integrations.tasks.run_job", job_id, task_name=f"job-{job_id}")
    except Exception:
        logger.warning("could not enqueue job %s; the sweeper will retry", job_id, exc_info=True)


def claim(job_id: int) -> Job | None:
    now = timezone.now()
    claimed = Job.objects.filter(
        pk=job_id, state=JobState.PENDING, next_attempt_at__lte=now
    ).update(
        state=JobState.RUNNING, attempts=F("attempts") + 1, lease_until=now + lease(),
        sending_since=None, updated_at=now,
    )
    return Job.objects.select_related("call").get(pk=job_id) if claimed else None


def mark_sending(job: Job) -> None:
    """Record that a request is about to leave; from here a dead worker leaves doubt."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
        sending_since=now, updated_at=now
    )
    job.sending_since = now


def run(job_id: int) -> str:
    """Claim the job, run its handler, record what happened; return the new state."""
    job = claim(job_id)
    if job is None:
        return "not claimed"  # done already, not due, or another worker has it
    kind = kinds.table().get(job.kind)
    if kind is None:
        return _finish(job, JobState.FAILED, error=f"no handler for job kind {job.kind!r}")
    off = kinds.integration_problems().get(kind.integration)
    if off:
        return _finish(job, JobState.SKIPPED, error=reasons.integration_off(
            kind.integration, kinds.missing_settings(kind.integration)))
    try:
        outcome = kind.handler(job)
    except OutboundError as exc:
        if exc.unknown and not kind.resend_when_in_doubt:
            return _finish(job, JobState.UNKNOWN, error=f"{exc} — it may have arrived; check "
                           "before retrying")
        if exc.permanent:
            return _finish(job, JobState.FAILED, error=str(exc))
        return _retry_later(job, str(exc), exc.retry_after)
    except Exception:
        logger.exception("job %s (%s) raised", job.pk, job.kind)
        error = traceback.format_exc(limit=6)
        if job.sending_since and not kind.resend_when_in_doubt:
            # It failed after its request left: the call or SMS may exist.
            return _finish(job, JobState.UNKNOWN, error=error)
        return _retry_later(job, error, None)
    if isinstance(outcome, outcomes.Skipped):
        return _finish(job, JobState.SKIPPED, error=outcome.reason)
    if isinstance(outcome, outcomes.NotYet):
        # Waiting is not failing: the run gives its attempt back, so polls never use up
        # the retries a later transient failure needs; polls are counted on their own.
        return _set(job, state=JobState.PENDING, last_error=outcome.reason,
                    next_attempt_at=timezone.now() + timedelta(seconds=outcome.after_seconds),
                    attempts=job.attempts - 1,
                    payload={**job.payload, "polls": polls(job) + 1})
    return _finish(job, JobState.DONE, result=outcome.result)


def polls(job: Job) -> int:
    """How many times the job has come back with NotYet."""
    return int(job.payload.get("polls", 0))


def _retry_later(job: Job, error: str, retry_after: float | None) -> str:
    delays = settings.JOB_RETRY_DELAYS
    index = job.attempts - 1
    if index >= len(delays):
        return _finish(job, JobState.FAILED,
                       error=f"gave up after {job.attempts} attempts: {error}")
    delay = max(delays[index], retry_after or 0)
    return _set(job, state=JobState.PENDING, last_error=error,
                next_attempt_at=timezone.now() + timedelta(seconds=delay))


def _finish(job: Job, state: str, *, error: str = "", result: dict | None = None) -> str:
    fields: dict[str, object] = {
        "state": state, "finished_at": timezone.now(), "last_error": error,
    }
    if result is not None:
        fields["result"] = result
    return _set(job, **fields)


def _set(job: Job, **fields: object) -> str:
    """Record an outcome, only if this worker still holds the claim it made."""
    now = timezone.now()
    if fields["state"] == JobState.PENDING:
        # The message that woke this run is spent: the sweeper sends the next one as soon
        # as the row falls due, not REENQUEUE_AFTER after the last one.
        fields["enqueued_at"] = None
    recorded = Job.objects.filter(
        pk=job.pk, state=JobState.RUNNING, attempts=job.attempts
    ).update(lease_until=None, sending_since=None, updated_at=now, **fields)
    if recorded:
        _log_outcome(job, str(fields["state"]), str(fields.get("last_error", "")))
    return str(fields["state"])


def _log_outcome(job: Job, state: str, reason: str) -> None:
    """One line per job outcome; failed and 결과 확인 필요 need a person."""
    level = logging.WARNING if state in (JobState.FAILED, JobState.UNKNOWN) else logging.INFO
    reason = reason.strip().splitlines()[-1][:300] if reason.strip() else ""
    logger.log(level, "job %s (%s) %s%s", job.pk, job.kind, state,
               f": {reason}" if reason else "",
               extra={"job_id": job.pk, "job_kind": job.kind, "state": state,
                      "reason": reason})


def sweep() -> dict[str, int]:
    """Take back rows whose worker died; wake workers for due rows. Safe to run anywhere."""
    now = timezone.now()
    requeued = unknown = 0
    for job in Job.objects.filter(state=JobState.RUNNING, lease_until__lt=now)[:SWEEP_BATCH]:
        kind = kinds.table().get(job.kind)
        stale = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)
        if job.sending_since and not (kind and kind.resend_when_in_doubt):
            unknown += stale.update(
                state=JobState.UNKNOWN, finished_at=now, lease_until=None, updated_at=now,
                last_error=reasons.WORKER_STOPPED_SENDING,
            )
        else:
            requeued += stale.update(
                state=JobState.PENDING, next_attempt_at=now, lease_until=None,
                sending_since=None, enqueued_at=None, updated_at=now,
                last_error=reasons.WORKER_STOPPED,
            )
    due = list(
        Job.objects.filter(state=JobState.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for job_id in due:
        enqueue(job_id)
    return {"requeued": requeued, "unknown": unknown, "enqueued": len(due)}
