"""What django-q2 runs: thin entry points that take ids and hand over to the ledger."""

from __future__ import annotations

from integrations.clinics import reminders
from integrations.jobs import ledger


def run_job(job_id: int) -> str:
    return ledger.run(job_id)


def sweep() -> dict[str, int]:
    # Planning first: a reminder planned late that is already due goes out in this sweep.
    planned = reminders.plan_missing()
    return {**ledger.sweep(), "planned": planned}
