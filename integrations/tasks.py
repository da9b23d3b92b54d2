"""What django-q2 runs: thin entry points that take ids and hand over to the ledger."""

from __future__ import annotations

from integrations import batches, ledger


def run_due() -> dict[str, int]:
    return batches.run_due()


def run_job(job_id: int) -> str:
    # Messages sent before batches existed name this task; the claim makes it safe.
    return ledger.run(job_id)


def sweep() -> dict[str, int]:
    return ledger.sweep()
