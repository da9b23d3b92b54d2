"""Running due jobs in batches: what a woken worker does (``run_due``).

1. **Claim** up to ``JOB_BATCH_SIZE`` due jobs with one conditional ``UPDATE … RETURNING``
   (on PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so workers claiming at
   the same moment take different rows and never wait on each other). A claim is what it
   was for one job: state running, one more attempt, a lease.
2. **Run** their handlers on ``JOB_THREADS`` threads — the work waits on Slack, the CRM
   and ClawOps, not on the CPU — sharing the process's keep-alive HTTP client. A kind may
   use at most half the threads, so a receiver that hangs holds up no other kind; the first
   transient failure of a kind hands its unstarted jobs back and defers its other due jobs
   by the first retry delay (at most), instead of trying each against a receiver that is
   down.
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
import queue
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from integrations.jobs import ledger, wakeups
from integrations.models import Job, JobState

logger = logging.getLogger(__name__)

# Outcomes are written at least this often while a batch runs: a worker killed mid-batch
# leaves at most this much finished work unrecorded.
FLUSH_SECONDS = 0.1


def run_due() -> dict[str, int]:
    """Claim and run due jobs batch after batch until none is due or the task's time is up;
    return how many ended in each state."""
    wakeups.taken()
    start_until = time.monotonic() + start_window()
    states: Counter[str] = Counter()
    crew = Crew(thread_count())
    try:
        while time.monotonic() < start_until:
            jobs = claim_batch(settings.JOB_BATCH_SIZE)
            if not jobs:
                break
            if len(jobs) == settings.JOB_BATCH_SIZE:
                wakeups.wake()  # more may be due: another worker can share them
            states += run_batch(jobs, crew, start_until)
        else:
            wakeups.wake()  # time is up, work may be left: a fresh task carries on
    finally:
        crew.stop()
    return dict(states)


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


def claim_batch(limit: int) -> list[Job]:
    """Claim up to ``limit`` due jobs, oldest due first, in one statement."""
    now = timezone.now()
    table = connection.ops.quote_name(Job._meta.db_table)
    skip_locked = (" FOR UPDATE SKIP LOCKED"
                   if connection.features.has_select_for_update_skip_locked else "")
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, attempts = attempts + 1, lease_until = %s,"
            f" sending_since = NULL, updated_at = %s"
            f" WHERE state = %s AND id IN (SELECT id FROM {table}"
            f" WHERE state = %s AND next_attempt_at <= %s"
            f" ORDER BY next_attempt_at LIMIT %s{skip_locked})"
            f" RETURNING id",
            [JobState.RUNNING, adapt(now + ledger.lease()), adapt(now), JobState.PENDING,
             JobState.PENDING, adapt(now), limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(Job.objects.select_related(*ledger.CLAIM_RELATED).filter(pk__in=ids)
                .order_by("next_attempt_at"))


class Crew:
    """Threads that run handlers for the length of one wake-up, each with its own database
    connection, closed when the crew stops. With no threads, handlers run in the caller's
    thread as they are submitted."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.capacity = max(size, 1)
        self._todo: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[tuple[Job, ledger.Verdict]] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"job-runner-{n}",
                                          daemon=True) for n in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> None:
        if self.size:
            self._todo.put(job)
        else:
            self._done.put((job, execute(job)))

    def next_done(self, timeout: float) -> tuple[Job, ledger.Verdict] | None:
        try:
            return self._done.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        try:
            while (job := self._todo.get()) is not None:
                if connection.errors_occurred:
                    # The last job met a database error: check the connection (and drop
                    # it if it is broken) before the next one. Checking before every
                    # job would cost each a round trip (CONN_HEALTH_CHECKS).
                    close_old_connections()
                self._done.put((job, execute(job)))
        finally:
            connection.close()


def execute(job: Job) -> ledger.Verdict:
    """``ledger.execute``, which turns a handler's errors into verdicts; what escapes it (the
    database gone, say) becomes one too, so a batch always hears back from every job."""
    try:
        return ledger.execute(job)
    except Exception:
        logger.exception("job %s (%s) could not be run", job.pk, job.kind)
        return ledger.crashed(job)


def run_batch(jobs: list[Job], crew: Crew, start_until: float) -> Counter[str]:
    """Run claimed jobs on the crew, record their outcomes; hand back what did not start."""
    waiting = list(jobs)
    in_flight: Counter[str] = Counter()
    per_kind = max(crew.capacity // 2, 1)
    backing_off: dict[str, float] = {}  # kind -> seconds its unstarted jobs wait
    handed_back: list[tuple[Job, float]] = []
    finished: list[tuple[Job, ledger.Verdict]] = []
    states: Counter[str] = Counter()
    last_flush = time.monotonic()
    while waiting or in_flight.total():
        if time.monotonic() >= start_until:
            handed_back += [(job, 0.0) for job in waiting]
            waiting = []
        for job in list(waiting):
            if in_flight.total() >= crew.capacity:
                break
            if job.kind in backing_off:
                waiting.remove(job)
                handed_back.append((job, backing_off[job.kind]))
            elif in_flight[job.kind] < per_kind:
                waiting.remove(job)
                in_flight[job.kind] += 1
                crew.submit(job)
        if not in_flight.total():
            continue
        done = crew.next_done(timeout=FLUSH_SECONDS)
        if done is not None:
            job, verdict = done
            in_flight[job.kind] -= 1
            finished.append(done)
            states[verdict.state] += 1
            if verdict.transient and job.kind not in backing_off:
                backing_off[job.kind] = min(verdict.retry_in or 0, settings.JOB_RETRY_DELAYS[0])
        if finished and (time.monotonic() - last_flush >= FLUSH_SECONDS
                         or not in_flight.total()):
            ledger.record_many(finished)
            finished, last_flush = [], time.monotonic()
    ledger.record_many(finished)
    hand_back(handed_back)
    for kind, seconds in backing_off.items():
        defer_kind(kind, seconds)
    return states


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
