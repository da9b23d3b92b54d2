"""The scheduled run (integrations.tasks.reconcile): within the worker's task timeout."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.jobs import kinds, reasons
from integrations.periodic.runs import AlreadyRunning
from integrations.reconciliation.reconcile import reconcile, scheduled_window


def run() -> dict[str, object]:
    missing = kinds.missing_settings("clawops")
    if missing:
        return {"skipped": reasons.integration_off("clawops", missing)}
    # Stop reading in time to record the result before django-q stops the task.
    deadline = timezone.now() + timedelta(seconds=max(settings.JOB_TIMEOUT_SECONDS - 15, 15))
    try:
        return reconcile(scheduled_window(), deadline=deadline).as_dict()
    except AlreadyRunning:
        return {"skipped": "another reconciliation is running"}
