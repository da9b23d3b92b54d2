"""wrk runs (bench/cycle.lua) and what they measured, one run or several merged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from bench.server import Cpu

LUA_SCRIPT = Path(__file__).resolve().parent / "cycle.lua"
# The percentile levels of WrkResult.quantiles_us, as cycle.lua prints them.
LEVELS = [k / 10 for k in range(1, 1000)] + [99.95, 99.99]


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run reported (cycle.lua's done() line); latencies in microseconds."""

    duration_us: int
    requests: int
    issued: int
    most_per_thread: int
    err_connect: int
    err_read: int
    err_write: int
    err_status: int
    err_timeout: int
    max_us: int
    quantiles_us: list[int]

    @property
    def ok_responses(self) -> int:
        # wrk counts a status of 400 or more as an error; the app answers 200 or an error.
        return self.requests - self.err_status

    @property
    def socket_errors(self) -> int:
        return self.err_connect + self.err_read + self.err_write + self.err_timeout


@dataclass(frozen=True)
class Load:
    """All measured runs against one endpoint, taken together, and the CPU they cost."""

    runs: list[WrkResult]
    cpu: Cpu

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def seconds(self) -> float:
        return sum(r.duration_us for r in self.runs) / 1e6

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def non_2xx(self) -> int:
        return sum(r.err_status for r in self.runs)

    @property
    def socket_errors(self) -> int:
        return sum(r.socket_errors for r in self.runs)

    def ms_per_request(self, cpu_seconds: float) -> float:
        return 1000 * cpu_seconds / max(self.requests, 1)

    def percentile_ms(self, level: float) -> float:
        """The latency at ``level`` % over all runs, each run weighted by its responses."""
        candidates = sorted({q for r in self.runs for q in r.quantiles_us})
        for latency in candidates:
            below = sum(r.requests * _share_at_or_below(r, latency) for r in self.runs)
            if below >= level * self.requests:
                return latency / 1000
        return max(r.max_us for r in self.runs) / 1000


def _share_at_or_below(run: WrkResult, latency_us: int) -> float:
    """The percentile level of ``latency_us`` in one run (to the 0.1 % wrk was asked for)."""
    index = bisect_right(run.quantiles_us, latency_us)
    if index == 0:
        return 0.0
    return 100.0 if index == len(LEVELS) and latency_us >= run.max_us else LEVELS[index - 1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is not installed: run `sudo apt-get update && sudo apt-get install -y wrk`")
    print("installing wrk (apt-get) ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk is still missing after apt-get install")


@dataclass(frozen=True)
class WrkSpec:
    binary: str
    threads: int
    connections: int
    out: Path  # where wrk's own output is kept, one file per run


def run_wrk(spec: WrkSpec, url: str, data: Path, seconds: int, label: str) -> WrkResult:
    command = [
        spec.binary, "-t", str(spec.threads), "-c", str(spec.connections), "-d", f"{seconds}s",
        "--timeout", "5s", "-s", str(LUA_SCRIPT), url, "--", str(data),
    ]
    print(f"  wrk {label}: {seconds} s, POST {url}", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    (spec.out / f"wrk-{label}.txt").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return WrkResult(**json.loads(line.removeprefix("BENCH_RESULT ")))
    raise RuntimeError(f"wrk printed no BENCH_RESULT line:\n{done.stdout}\n{done.stderr}")
