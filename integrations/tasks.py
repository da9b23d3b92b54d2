"""What django-q2 runs: thin entry points that take ids and hand over to the ledger."""

from __future__ import annotations

from django.utils import timezone

from integrations.clinics import reminders
from integrations.jobs import batches, ledger
from integrations.periodic import runs, tallies


def run_due() -> dict[str, int]:
    return batches.run_due()


def run_job(job_id: int) -> str:
    # Messages sent before batches existed name this task; the claim makes it safe.
    return ledger.run(job_id)


def sweep() -> dict[str, int]:
    started = timezone.now()
    # Planning first: a reminder planned late that is already due goes out in this sweep.
    planned = reminders.plan_missing()
    report = {**ledger.sweep(), "planned": planned}
    tallies.advance()  # keeps /metrics' deliveries counter cheap
    # The sweeper runs every minute on the worker: its last run is the worker's heartbeat.
    runs.finished(runs.SWEEPER, report, started)
    return report


def reconcile() -> dict[str, object]:
    from integrations.reconciliation import scheduled

    return scheduled.run()


def purge() -> dict[str, object]:
    from integrations.retention import scheduled

    return scheduled.run()
