"""``GET /healthz`` for load balancers and probes: the database, the worker's heartbeat and
the queue's lag. 503 when the database is down or the worker has been silent longer than
WORKER_SILENT_AFTER_SECONDS; served whatever the Host header (clawsite/probes.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from calls.intake import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueLag:
    due_jobs: int
    oldest_due_seconds: float


def queue_lag(now: datetime) -> QueueLag:
    """Jobs due and not yet started, and how long the oldest of them has waited."""
    from integrations.models import Job, JobState

    due = Job.objects.filter(state=JobState.PENDING, next_attempt_at__lte=now).aggregate(
        count=Count("id"), oldest=Min("next_attempt_at"))
    oldest = (now - due["oldest"]).total_seconds() if due["oldest"] else 0.0
    return QueueLag(due["count"], max(oldest, 0.0))


def worker_last_seen(now: datetime) -> float | None:
    """Seconds since the worker last ran the sweeper (scheduled every minute), or None if it
    never has (a fresh install whose worker has not started yet)."""
    from integrations.periodic.runs import SWEEPER, last_finished

    seen = last_finished().get(SWEEPER)
    return None if seen is None else max((now - seen).total_seconds(), 0.0)


def healthz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen = worker_last_seen(now)
        lag = queue_lag(now)
    except DATABASE_UNAVAILABLE:
        logger.warning("health check: database unavailable")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    threshold = settings.WORKER_SILENT_AFTER_SECONDS
    if seen is None:
        worker_status = "never seen"
    else:
        worker_status = "silent" if seen > threshold else "ok"
    healthy = worker_status != "silent"
    if not healthy:
        logger.warning("health check: the worker has been silent for %.0f s", seen)
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": "ok",
            "worker": {"status": worker_status,
                       "last_seen_seconds_ago": None if seen is None else round(seen, 1),
                       "silent_after_seconds": threshold},
            "queue": {"due_jobs": lag.due_jobs,
                      "oldest_due_seconds": round(lag.oldest_due_seconds, 1)},
        },
        status=200 if healthy else 503,
    )
