"""The threads that run one wake-up's jobs, and the rules for which job starts next.

A crew of ``JOB_THREADS`` threads lives for one wake-up (``batches.run_due``), each thread with
its own database connection, closed when the crew stops. The claiming thread adds claimed
jobs; each crew thread takes the next job it may start, runs it, and leaves its verdict for
the claiming thread to record in bulk. A thread takes its next job itself, the moment it is
free: no job waits for another thread to hand it over, and claiming the next batch (which
the claiming thread does while the crew still has work) never leaves the crew idle.

Which job may start:

- a kind may run on at most half the threads, so a receiver that hangs holds up no other kind;
- after the first transient failure of a kind, none of its jobs starts: they go back unspent,
  due when the failed one is retried (at most the first retry delay), instead of each
  meeting a receiver that is down;
- no job starts after ``start_until``: what is left of django-q's timeout must cover a job's
  requests. The jobs still waiting then go back unspent, due now.

With no threads (SQLite; inline task runs in tests) ``add`` runs the jobs in the caller's
thread and transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque

from django.conf import settings
from django.db import close_old_connections, connection

from integrations.jobs import ledger
from integrations.models import Job

logger = logging.getLogger(__name__)


class Crew:
    def __init__(self, size: int, start_until: float) -> None:
        self.size = size
        self.per_kind = max(size // 2, 1)
        self.start_until = start_until
        # The claiming thread claims again when fewer jobs than this wait: enough for the
        # threads to go on with while the claim runs.
        self.low_water = 2 * max(size, 1)
        # Whether the claiming thread may still find due jobs (it says so).
        self.claiming = True
        # Set when the claiming thread has something to do: claim, settle, record, stop.
        self.attention = threading.Event()
        self.states: Counter[str] = Counter()
        # Kind -> when (time.monotonic()) its jobs may start again: set at the kind's first
        # transient failure, dropped when that time comes (the failed job falls due again; it
        # may find the receiver back, and a new failure backs off anew).
        self.backing_off: dict[str, float] = {}
        self._changed = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._running: Counter[str] = Counter()
        self._finished: list[tuple[Job, ledger.Verdict]] = []
        self._handed_back: list[tuple[Job, float]] = []
        self._stopping = False
        self._threads = [threading.Thread(target=self._work, name=f"job-runner-{n}",
                                          daemon=True) for n in range(size)]
        if self._threads:
            # The first thread starts the others: starting a thread waits until it runs,
            # which on a busy machine takes milliseconds the claiming thread spends claiming.
            try:
                self._threads[0].start()
            except RuntimeError:  # the process may start no more threads: run them here
                logger.exception("could not start the crew's threads; running jobs in turn")
                self.size, self._threads = 0, []

    # --- the claiming thread's side ------------------------------------------------------

    def add(self, jobs: list[Job]) -> None:
        """Jobs claimed for this crew; a kind that is backing off gets its jobs back at once."""
        with self._changed:
            for job in jobs:
                wait = self._still_backing_off(job.kind)
                if wait:
                    self._handed_back.append((job, wait))
                else:
                    self._waiting.append(job)
            self._changed.notify_all()
        if not self.size:
            self._run_here()

    def wants_more(self) -> bool:
        return len(self._waiting) < self.low_water

    def idle(self) -> bool:
        """Nothing waits and nothing runs."""
        with self._changed:
            return not self._waiting and not self._running.total()

    def stop_starting(self) -> None:
        """Start no more jobs (time is up): those waiting go back unspent, due now."""
        with self._changed:
            self._handed_back += [(job, 0.0) for job in self._waiting]
            self._waiting.clear()
            self.start_until = min(self.start_until, time.monotonic())
            self._changed.notify_all()

    def take_finished(self) -> list[tuple[Job, ledger.Verdict]]:
        with self._changed:
            finished, self._finished = self._finished, []
        return finished

    def take_handed_back(self) -> list[tuple[Job, float]]:
        with self._changed:
            handed_back, self._handed_back = self._handed_back, []
        return handed_back

    def wait(self, timeout: float) -> None:
        """Until a thread asks for the claiming thread's attention (since it last cleared
        ``attention``), or ``timeout`` passes."""
        self.attention.wait(timeout)

    def stop(self) -> None:
        """Let the threads finish the jobs they run, and end them."""
        with self._changed:
            self._stopping = True  # (no thread starts after this)
            self._changed.notify_all()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join()

    # --- the crew threads' side ----------------------------------------------------------

    def _start_the_others(self) -> None:
        try:
            for thread in self._threads[1:]:
                with self._changed:
                    if self._stopping:
                        return
                    thread.start()
        except RuntimeError:  # the process may start no more threads: run on fewer
            logger.exception("could not start all of the crew's %s threads", self.size)

    def _work(self) -> None:
        if threading.current_thread() is self._threads[0]:
            self._start_the_others()
        try:
            while (job := self._take()) is not None:
                if connection.errors_occurred:
                    # The last job met a database error: check the connection (and drop it
                    # if it is broken) before the next one. Checking before every job would
                    # cost each a round trip (CONN_HEALTH_CHECKS).
                    close_old_connections()
                self._finish(job, execute(job))
        finally:
            connection.close()

    def _run_here(self) -> None:
        while (job := self._take(wait=False)) is not None:
            self._finish(job, execute(job))

    def _take(self, *, wait: bool = True) -> Job | None:
        """The next job this thread may start, once there is one; None when none will come."""
        with self._changed:
            while not self._stopping and (left := self.start_until - time.monotonic()) > 0:
                job = self._startable()
                if job is not None:
                    self._running[job.kind] += 1
                    if self.claiming and len(self._waiting) < self.low_water:
                        self.attention.set()
                    return job
                if not wait:
                    return None
                self._changed.wait(timeout=left)
            self.attention.set()
            return None

    def _startable(self) -> Job | None:
        for index, job in enumerate(self._waiting):
            if self._running[job.kind] < self.per_kind:
                del self._waiting[index]
                return job
        return None

    def _finish(self, job: Job, verdict: ledger.Verdict) -> None:
        with self._changed:
            self._running[job.kind] -= 1
            self._finished.append((job, verdict))
            self.states[verdict.state] += 1
            if verdict.transient and not self._still_backing_off(job.kind):
                self._back_off(job.kind, verdict)
            self._changed.notify()  # a thread of this kind is free
            if not self._waiting and not self._running.total():
                self.attention.set()

    def _still_backing_off(self, kind: str) -> float:
        """Seconds the kind's jobs still wait, 0 when it is not backing off (any more)."""
        if kind not in self.backing_off:
            return 0.0
        left = self.backing_off[kind] - time.monotonic()
        if left > 0:
            return left
        del self.backing_off[kind]
        return 0.0

    def _back_off(self, kind: str, verdict: ledger.Verdict) -> None:
        seconds = min(verdict.retry_in or 0, settings.JOB_RETRY_DELAYS[0])
        self.backing_off[kind] = time.monotonic() + seconds
        keep: deque[Job] = deque()
        for job in self._waiting:
            if job.kind == kind:
                self._handed_back.append((job, seconds))
            else:
                keep.append(job)
        self._waiting = keep
        self.attention.set()  # the claiming thread defers the kind's other due jobs


def execute(job: Job) -> ledger.Verdict:
    """``ledger.execute``, which turns a handler's errors into verdicts; what escapes it (the
    database gone, say) becomes one too, so the crew always hears back from every job."""
    try:
        return ledger.execute(job)
    except Exception:
        logger.exception("job %s (%s) could not be run", job.pk, job.kind)
        return ledger.crashed(job)
