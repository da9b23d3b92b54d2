"""Running due jobs in batches: what a woken worker does (``run_due``).

1. **Claim** up to ``JOB_BATCH_SIZE`` due jobs with one statement (``claims``: on
   PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so workers claiming at the
   same moment take different rows and never wait on each other), but no more than half
   of those due while that keeps the crew busy, so that workers sharing a burst finish it
   together. A claim is what it was for one job: state running, one more attempt, a
   lease. The next batch is claimed while the crew still has jobs to go on with, so it
   never waits for a claim.
2. **Run** their handlers on the ``crew``'s ``JOB_THREADS`` threads — the work waits on
   Slack, the CRM and ClawOps, not on the CPU — sharing the process's keep-alive HTTP
   client. A kind may use at most half the threads, so a receiver that hangs holds up no
   other kind; the first transient failure of a kind hands its unstarted jobs back and
   defers its other due jobs by the first retry delay (at most), instead of trying each
   against a receiver that is down.
3. **Record** outcomes in bulk every ``FLUSH_SECONDS`` (``ledger.record_many``), each only
   where the claim still stands.

Every guarantee of a single run holds for each job of a batch: ``mark_sending`` is written
before each request leaves, so a worker killed mid-batch leaves its unrecorded jobs for the
sweeper to settle as for one job (unstarted ones run again; one whose request may have
arrived is resent only to a receiver that dedupes, otherwise it waits for staff as unknown).
New jobs start only while the task has time left before django-q's timeout; the rest are
handed back unspent and another wake-up carries on.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from integrations.jobs import claims, ledger, wakeups
from integrations.jobs.crew import Crew
from integrations.models import Job, JobState

logger = logging.getLogger(__name__)

# Outcomes are written at least this often while a batch runs: a worker killed mid-batch
# leaves at most this much finished work unrecorded.
FLUSH_SECONDS = 0.1


def run_due() -> dict[str, int]:
    """Claim and run due jobs batch after batch until none is due or the task's time is up;
    return how many ended in each state."""
    wakeups.taken()
    crew = Crew(thread_count(), start_until=time.monotonic() + start_window())
    try:
        work_through(crew)
    finally:
        crew.stop_starting()
        crew.stop()
        write_down_what_is_left(crew)
    return dict(crew.states)


def write_down_what_is_left(crew: Crew) -> None:
    """After ``work_through`` stopped on an error (the database gone, django-q's timeout):
    record what the crew finished and hand back what it never started, as far as the
    database lets us; the sweeper settles the rest by their leases. After a normal end
    there is nothing left to write."""
    try:
        ledger.record_many(crew.take_finished())
    except Exception:
        logger.exception("could not record the outcomes of a stopped batch")
    try:
        if hand_back(crew.take_handed_back()):
            wakeups.wake()
    except Exception:
        logger.exception("could not hand back the unstarted jobs of a stopped batch")


def work_through(crew: Crew) -> None:
    """Keep the crew supplied with claimed jobs until none is due or its time is up; record
    what it finishes, hand back what it will not start."""
    size = settings.JOB_BATCH_SIZE
    deferred: set[str] = set()
    last_flush = time.monotonic()
    left_due = False  # jobs handed back due now, at the end of the time
    while True:
        crew.attention.clear()  # what the threads ask from here on wakes the wait below
        out_of_time = time.monotonic() >= crew.start_until
        if out_of_time:
            crew.stop_starting()
        left_due |= settle(crew, deferred)
        if not out_of_time and crew.claiming and crew.wants_more():
            batch = claims.claim_batch(size, at_least=crew.low_water)
            crew.claiming = bool(batch.jobs)
            crew.add(batch.jobs)
            if batch.full:
                wakeups.wake()  # more may be due: another worker can share them
        done = crew.idle()
        if done or time.monotonic() - last_flush >= FLUSH_SECONDS:
            ledger.record_many(crew.take_finished())
            last_flush = time.monotonic()
        if done and (out_of_time or not crew.claiming):
            break
        # Out of time nothing more is claimed: wait for the running jobs, never spin.
        if out_of_time or not (crew.claiming and crew.wants_more()):
            crew.wait(FLUSH_SECONDS)
    left_due |= settle(crew, deferred)
    if out_of_time and (crew.claiming or left_due):
        wakeups.wake()  # time is up, work is or may be left: a fresh task carries on


def settle(crew: Crew, deferred: set[str]) -> bool:
    """Hand back the jobs the crew will not start; defer the due jobs of a kind that just
    failed, before anything claims them. Return whether any was handed back due now."""
    deferred &= set(crew.backing_off)  # a back-off that is over may start again
    for kind, until in list(crew.backing_off.items()):
        if kind not in deferred:
            deferred.add(kind)
            defer_kind(kind, until - time.monotonic())
    handed_back = crew.take_handed_back()
    if handed_back:
        hand_back(handed_back)
    return any(seconds <= 0 for _job, seconds in handed_back)


def start_window() -> float:
    """Seconds after waking during which new jobs may start: what is left of django-q's
    timeout must cover a job's requests (up to two, each within the outbound timeout)."""
    timeout = settings.JOB_TIMEOUT_SECONDS
    return max(timeout - 2 * settings.OUTBOUND_TIMEOUT_SECONDS - 5, timeout / 3)


def thread_count() -> int:
    # SQLite has one writer at a time; inline task runs (tests) keep to the caller's thread
    # and its transaction.
    if connection.vendor == "sqlite" or settings.Q_CLUSTER.get("sync"):
        return 0
    return max(settings.JOB_THREADS, 1)


def hand_back(jobs: list[tuple[Job, float]]) -> int:
    """Return claimed jobs that never started to pending, their attempt unspent."""
    groups: dict[tuple[int, float], list[int]] = defaultdict(list)
    for job, seconds in jobs:
        groups[(job.attempts, seconds)].append(job.pk)
    now = timezone.now()
    returned = 0
    for (attempts, seconds), ids in groups.items():
        returned += Job.objects.filter(pk__in=ids, state=JobState.RUNNING, attempts=attempts
                                       ).update(state=JobState.PENDING, attempts=attempts - 1,
                                                lease_until=None, sending_since=None,
                                                next_attempt_at=now + timedelta(seconds=seconds),
                                                updated_at=now)
    return returned


def defer_kind(kind: str, seconds: float) -> int:
    """Move the kind's jobs due within ``seconds`` to then: its receiver just failed."""
    if seconds <= 0:
        return 0
    until = timezone.now() + timedelta(seconds=seconds)
    return Job.objects.filter(kind=kind, state=JobState.PENDING, next_attempt_at__lt=until
                              ).update(next_attempt_at=until)
