"""The daily purge run by the schedule (integrations.tasks.purge)."""

from __future__ import annotations

import logging

from django.utils import timezone

from integrations.periodic import runs
from integrations.retention.purge import purge

logger = logging.getLogger(__name__)


def run() -> dict[str, object]:
    started = timezone.now()
    report = purge()
    runs.finished(runs.PURGE, report, started)
    logger.info("retention purge: %s",
                ", ".join(f"{name} {count}" for name, count in report.items()) or "nothing")
    return dict(report)
