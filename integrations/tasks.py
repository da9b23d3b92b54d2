"""What django-q2 runs: thin entry points that take ids and hand over to the ledger."""

from __future__ import annotations

from integrations.jobs import ledger


def run_job(job_id: int) -> str:
    return ledger.run(job_id)


def sweep() -> dict[str, int]:
    return ledger.sweep()
