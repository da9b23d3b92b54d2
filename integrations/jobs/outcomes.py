"""What a job's handler answers: done, not yet, or skipped. Failures are OutboundErrors
(integrations.outbound.http), which the ledger stores as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Done:
    """The job did its one thing; ``result`` is kept on the row."""

    result: dict[str, object]


@dataclass(frozen=True)
class NotYet:
    """Nothing failed, but the job must run again later (a transcript still pending)."""

    reason: str
    after_seconds: int


@dataclass(frozen=True)
class Skipped:
    """A rule said no (quiet hours, opted out, too late): recorded, never retried."""

    reason: str


Outcome = Done | NotYet | Skipped
