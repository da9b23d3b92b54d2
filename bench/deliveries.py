"""Signed ClawOps status callbacks for the load generator, written as wrk data files.

Each wrk thread gets its own file and its own calls, so threads never send each other's
requests and the share of re-sends is exactly what the file holds. A line is
``<X-Signature>\\t<form body>``; bench/cycle.lua turns the lines into requests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from calls.signatures import x_signature

STAGES = ("initiated", "ringing", "in-progress", "completed")
# Every fifth request is an exact re-send of an earlier one: 20% duplicates.
DUPLICATE_EVERY = 5
# Re-sends copy one of the last few originals, so some arrive while the original is
# still in flight on another connection (the parallel case of product.md §5 rule 3).
DUPLICATE_WINDOW = 64
# Calls in progress at once in one thread's stream, so a call's stages interleave with
# other calls' as they do in production.
CONCURRENT_CALLS = 40
CLINIC_NUMBER = "07052351234"


@dataclass
class _Call:
    call_id: str
    direction: str
    customer: str
    at: datetime
    stage: int = 0

    def callback(self, rng: random.Random) -> dict[str, str]:
        """The form fields ClawOps posts for this call's current stage."""
        inbound = self.direction == "inbound"
        stage = STAGES[self.stage]
        fields = {
            "CallId": self.call_id,
            "CallStatus": stage,
            "Direction": self.direction,
            "From": self.customer if inbound else CLINIC_NUMBER,
            "To": CLINIC_NUMBER if inbound else self.customer,
            "AccountId": "AC1a2b3c4d",
            "Timestamp": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if stage == "completed":
            fields.update(
                CallDuration=str(rng.randrange(5, 600)),
                AnsweredBy="human",
                HangupCause="normal_clearing",
                HangupSource=rng.choice(("caller", "callee")),
                SipResponseCode="200",
            )
        return fields


def _new_call(prefix: str, number: int, rng: random.Random, start: datetime) -> _Call:
    return _Call(
        call_id=f"CA{prefix}{number:08x}",
        direction="inbound" if rng.random() < 0.7 else "outbound",
        customer=f"010-{rng.randrange(10_000):04d}-{rng.randrange(10_000):04d}",
        at=start,
    )


def status_callbacks(prefix: str, rng: random.Random) -> Iterator[dict[str, str]]:
    """An endless stream of status callbacks of interleaved calls, each in stage order."""
    clock = datetime(2026, 11, 26, tzinfo=UTC)
    calls = [_new_call(prefix, n, rng, clock) for n in range(CONCURRENT_CALLS)]
    next_number = CONCURRENT_CALLS
    while True:
        slot = rng.randrange(CONCURRENT_CALLS)
        call = calls[slot]
        yield call.callback(rng)
        call.stage += 1
        call.at += timedelta(seconds=rng.randrange(1, 30))
        if call.stage == len(STAGES):
            clock += timedelta(seconds=1)
            calls[slot] = _new_call(prefix, next_number, rng, clock)
            next_number += 1


def signed_lines(prefix: str, count: int, url: str, key: str, rng: random.Random) -> list[str]:
    """``count`` signed requests, every DUPLICATE_EVERY-th an exact copy of a recent one."""
    stream = status_callbacks(prefix, rng)
    lines: list[str] = []
    originals: list[str] = []
    for index in range(count):
        if index % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            lines.append(rng.choice(originals[-DUPLICATE_WINDOW:]))
            continue
        fields = next(stream)
        line = x_signature(url, fields, key) + "\t" + urlencode(fields)
        originals.append(line)
        lines.append(line)
    return lines


def write_data(base: Path, per_thread: list[list[str]]) -> Path:
    """One file per wrk thread, ``<base>.<thread>.tsv`` (what cycle.lua reads)."""
    for thread, lines in enumerate(per_thread):
        Path(f"{base}.{thread}.tsv").write_text("\n".join(lines) + "\n", encoding="ascii")
    return base

