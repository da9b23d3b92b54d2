"""Record that a periodic task ran, and claim a task so that two runs never overlap."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.periodic.models import PeriodicRun

SWEEPER = "sweeper"
RECONCILIATION = "reconciliation"
PURGE = "purge"


def _row(name: str) -> None:
    """Make sure the task's row exists (the first run of a fresh database)."""
    if not PeriodicRun.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=name)
        except IntegrityError:
            pass  # another process created it meanwhile


def finished(name: str, result: dict | None = None, started_at: datetime | None = None) -> None:
    """A run of ``name`` just ended (a beat for tasks that never need a claim)."""
    _row(name)
    now = timezone.now()
    PeriodicRun.objects.filter(name=name).update(
        last_started_at=started_at or now, last_finished_at=now, last_result=result or {},
    )


class AlreadyRunning(Exception):
    """Another run of the task holds its claim; this one did nothing."""


@contextmanager
def exclusive(name: str, lease: timedelta) -> Iterator[str]:
    """Run the block only if no other run of ``name`` holds the claim; raise AlreadyRunning
    otherwise. The claim is one conditional UPDATE, so of two runs started at once exactly
    one wins; it lapses after ``lease`` in case the worker dies mid-run."""
    _row(name)
    holder = uuid.uuid4().hex
    now = timezone.now()
    claimed = PeriodicRun.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), name=name
    ).update(lease_until=now + lease, holder=holder, last_started_at=now)
    if not claimed:
        raise AlreadyRunning(name)
    try:
        yield holder
    finally:
        PeriodicRun.objects.filter(name=name, holder=holder).update(
            lease_until=None, holder="", last_finished_at=timezone.now()
        )


def record_result(name: str, holder: str, result: dict) -> None:
    PeriodicRun.objects.filter(name=name, holder=holder).update(last_result=result)


def last_finished() -> dict[str, datetime | None]:
    """Each known task's last end, for health and metrics."""
    return dict(PeriodicRun.objects.values_list("name", "last_finished_at"))
