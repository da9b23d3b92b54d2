"""What bench/intake.py prints at the end, and the figures it keeps in bench/out/result.json."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from bench.load import Load

TARGET_RATIO = 0.35
TARGET_P99_MS = 50.0
# Other work using more than this share of a core during the runs makes the figures low and
# unsteady; the report says so.
BUSY_OTHER_CORES = 0.25


@dataclass(frozen=True)
class Check:
    passed: bool
    text: str


@dataclass(frozen=True)
class Machine:
    """What else the machine was doing: load averages (1, 5, 15 min) before and after the
    runs, and the cores that processes other than the bench's used during the measured
    runs (whole-machine CPU from /proc/stat, less the app's, the database's and wrk's)."""

    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    other_cores: float


@dataclass(frozen=True)
class Endpoints:
    intake: str
    bare: str
    floor: str


@dataclass(frozen=True)
class Loads:
    """What was measured of each server: the intake, the bare app, the floor."""

    intake: Load
    bare: Load
    floor: Load


def load_line(label: str, path: str, load: Load, unit: str) -> str:
    return (
        f"{label:<7} POST {path:<19} {load.rate:8.1f} {unit:<13} "
        f"p50 {load.percentile_ms(50):6.2f} ms   p99 {load.percentile_ms(99):6.2f} ms   "
        f"({load.requests} responses, {load.non_2xx} non-2xx, "
        f"{load.socket_errors} socket errors)"
    )


def cpu_line(label: str, load: Load) -> str:
    cpu = load.cpu
    return (
        f"{label:<7} app {load.ms_per_request(cpu.app):5.2f} ms   "
        f"postgres {load.ms_per_request(cpu.db):5.2f} ms   "
        f"wrk {load.ms_per_request(cpu.client):5.2f} ms   "
        f"total {load.ms_per_request(cpu.total):5.2f} ms   "
        f"({cpu.total / load.seconds:.2f} of {os.cpu_count()} cores)"
    )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def _averages(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def _cpu_ratio(load: Load, bare: Load) -> float:
    """The ratio if both were bound by CPU alone: steadier than the measured one when other
    work shares the machine, as it does not depend on the time slices each run got."""
    return bare.ms_per_request(bare.cpu.total) / load.ms_per_request(load.cpu.total)


def report(setup: list[str], paths: Endpoints, loads: Loads, checks: list[Check],
           machine: Machine, config: dict[str, object], out: Path) -> bool:
    """Print the figures and the checks; return whether the database check passed."""
    intake, bare, floor = loads.intake, loads.bare, loads.floor
    ratio, floor_ratio = intake.rate / bare.rate, floor.rate / bare.rate
    cpu_ratio, floor_cpu_ratio = _cpu_ratio(intake, bare), _cpu_ratio(floor, bare)
    p99 = intake.percentile_ms(99)
    db_ok = all(check.passed for check in checks)
    print()
    for line in setup:
        print(line)
    print(load_line("intake", paths.intake, intake, "deliveries/s"))
    print(load_line("bare", paths.bare, bare, "requests/s"))
    print(load_line("floor", paths.floor, floor, "inserts/s"))
    print(f"ratio   intake/bare {ratio:.3f}   p99 intake {p99:.2f} ms, bare "
          f"{bare.percentile_ms(99):.2f} ms")
    print(f"ratio   floor/bare {floor_ratio:.3f} (one committed INSERT, nothing else)   "
          f"intake/floor {intake.rate / floor.rate:.3f}")
    print("CPU per request (app = gunicorn workers, postgres = their backends):")
    print(cpu_line("intake", intake))
    print(cpu_line("bare", bare))
    print(cpu_line("floor", floor))
    print(f"ratio   bare CPU / intake CPU per request {cpu_ratio:.3f}, "
          f"bare CPU / floor CPU {floor_cpu_ratio:.3f}")
    print(f"machine: load average {_averages(machine.load_before)} before, "
          f"{_averages(machine.load_after)} after; other processes used "
          f"{machine.other_cores:.2f} of {os.cpu_count()} cores during the measured runs")
    print("database check:")
    for check in checks:
        print(f"  {verdict(check.passed)} {check.text}")
    print("targets:")
    print(f"  {verdict(ratio >= TARGET_RATIO)} ratio >= {TARGET_RATIO} ({ratio:.3f})")
    print(f"  {verdict(p99 <= TARGET_P99_MS)} intake p99 <= {TARGET_P99_MS:.0f} ms ({p99:.2f} ms)")
    if machine.other_cores > BUSY_OTHER_CORES:
        print("note: other work shared the CPU during the runs, so rates and ratio are low "
              "and unsteady; CPU per request holds up better")
    print(f"DATABASE CHECK: {verdict(db_ok)}")
    summary = {
        "intake": _figures(intake), "bare": _figures(bare), "floor": _figures(floor),
        "ratio": ratio, "cpu_ratio": cpu_ratio, "floor_ratio": floor_ratio,
        "floor_cpu_ratio": floor_cpu_ratio, "database_check": db_ok, "config": config,
        "machine": {"load_before": machine.load_before, "load_after": machine.load_after,
                    "other_cores": machine.other_cores},
    }
    (out / "result.json").write_text(json.dumps(summary, indent=2) + "\n")
    return db_ok


def _figures(load: Load) -> dict[str, object]:
    return {
        "rate": load.rate, "p50_ms": load.percentile_ms(50),
        "p99_ms": load.percentile_ms(99), "responses": load.requests,
        "non_2xx": load.non_2xx, "socket_errors": load.socket_errors,
        "cpu_ms_per_request": {
            "app": load.ms_per_request(load.cpu.app),
            "postgres": load.ms_per_request(load.cpu.db),
            "wrk": load.ms_per_request(load.cpu.client),
        },
    }
