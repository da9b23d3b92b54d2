"""Waking workers: one queue message stands for every due job, however many there are.

A woken worker (``batches.run_due``) claims due jobs in batches until none is left, so a
second message while the first still waits would only cost the queue a task that finds
nothing. The ``JobWakeup`` row says when the waiting message was sent: ``wake`` sends one
only when none is waiting, and the worker clears the row *before* it claims anything, so a
job added after that point sends a fresh message and none is ever missed.

A message that is lost (broker restarted, Redis flushed) leaves the row set: the sweeper
takes it for lost when the broker holds no waiting message, or after ``REENQUEUE_AFTER``
whatever the broker says, and sends another. A second message is harmless: the worker it
wakes finds the jobs claimed and stops.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from integrations.jobs import statements
from integrations.models import JobWakeup

logger = logging.getLogger(__name__)

# A wake-up message not taken up within this long is taken for lost.
REENQUEUE_AFTER = timedelta(seconds=30)
RUN_DUE_TASK = "integrations.tasks.run_due"


def wake(*, unless_queued: bool = False) -> bool:
    """Send a wake-up message unless one is waiting; return whether one was sent. Never
    raises: if the broker is down, the sweeper tries again.

    ``unless_queued`` (the sweeper) asks the broker too: a message the row says is waiting
    but the broker does not hold was lost, and waiting out REENQUEUE_AFTER would only
    delay the work.
    """
    now = timezone.now()
    try:
        claimed = _record_sending(now)
        if not claimed and unless_queued and not _broker_holds_messages():
            claimed = JobWakeup.objects.filter(pk=1).update(sent_at=now)
        if not claimed:
            return False  # a message is on its way and will find this work too
    except Exception:
        logger.warning("could not record a wake-up; the sweeper will retry", exc_info=True)
        return False
    try:
        from django_q.tasks import async_task

        async_task(RUN_DUE_TASK, task_name=f"run-due-{now.timestamp():.6f}")
    except Exception:
        logger.warning("could not send a wake-up message; the sweeper will retry",
                       exc_info=True)
        JobWakeup.objects.filter(pk=1, sent_at=now).update(sent_at=None)
        return False
    return True


def _record_sending(now: datetime) -> bool:
    """Set the row's ``sent_at`` unless a message is waiting (sent within REENQUEUE_AFTER);
    return whether this call set it. A worker asks at every full batch it claims: on
    PostgreSQL it is one prepared statement (the row is made on first use either way)."""
    if connection.vendor == "postgresql":
        return bool(statements.execute(_RECORD_SENDING_PG,
                                       [now, now - REENQUEUE_AFTER]).fetchall())
    claimed = JobWakeup.objects.filter(pk=1).filter(
        Q(sent_at__isnull=True) | Q(sent_at__lt=now - REENQUEUE_AFTER)
    ).update(sent_at=now)
    if not claimed:
        _, claimed = JobWakeup.objects.get_or_create(pk=1, defaults={"sent_at": now})
    return bool(claimed)


_TABLE = JobWakeup._meta.db_table
_RECORD_SENDING_PG = (
    f"INSERT INTO {_TABLE} (id, sent_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE"
    f" SET sent_at = EXCLUDED.sent_at WHERE {_TABLE}.sent_at IS NULL OR {_TABLE}.sent_at < $2"
    f" RETURNING id"
)


def taken() -> None:
    """The woken worker is about to claim: a job added from now on needs a new message."""
    JobWakeup.objects.filter(pk=1).update(sent_at=None)


def _broker_holds_messages() -> bool:
    """Whether the broker has a message waiting (not one a worker is running)."""
    from django_q.brokers import get_broker

    return bool(get_broker().queue_size())
