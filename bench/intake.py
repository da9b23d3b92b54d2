"""Load benchmark of the ClawOps webhook intake against a bare Django app, same run.

Run from the project root: ``.venv/bin/python bench/intake.py`` (``--help`` for flags).

It creates a fresh PostgreSQL database, migrates it, and starts three gunicorn servers on
loopback with the same workers and flags: the app with its production settings, a bare
Django app (bench/bare_settings.py: no apps, no middleware, one view that reads the body
and answers a small JSON), and the floor (bench/floor_settings.py: the bare app plus a
signature check and one committed INSERT of the body). wrk drives each for the same time,
with the same connections: signed status callbacks, 20% of them exact re-sends, against
``POST /webhooks/clawops/``, and the same bodies against the bare app and the floor. It
prints throughput and latency of each, the intake's ratio to the bare app (the target) and
the floor's (what a durable acknowledgement alone reaches on this machine), CPU per
request, the load average, and a database check that every accepted delivery was stored
and every distinct event stored once. Exit status: 0 when the database check passes
(missing the speed targets is reported, not an error), 1 when it fails, 2 when the bench
could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages must be importable

import psycopg  # noqa: E402

from bench import deliveries, server  # noqa: E402
from bench.floor_urls import CREATE_TABLE  # noqa: E402
from bench.load import Load, WrkResult, WrkSpec, ensure_wrk, run_wrk  # noqa: E402
from bench.report import Check, Endpoints, Loads, Machine, report  # noqa: E402

OUT = ROOT / "bench" / "out"
WEBHOOK_PATH = "/webhooks/clawops/"
BARE_PATH = "/bench/bare/"
FLOOR_READY_PATH = "/bench/ready/"
SIGNING_KEY = "sk_sign_bench"


@dataclass(frozen=True)
class Config:
    duration: int
    rounds: int
    warmup: int
    connections: int
    threads: int
    workers: int
    requests: int
    port: int
    admin_url: str
    database: str
    seed: int

    @property
    def run_seconds(self) -> int:
        return max(1, round(self.duration / self.rounds))


def parse_args(argv: list[str]) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20,
                        help="measured seconds per endpoint (default 20)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="split the measured time into this many bare/intake pairs, in "
                        "ABBA order, so drifting load elsewhere on the machine hits both "
                        "endpoints alike (default 2)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn sync workers, for each server (default 4)")
    parser.add_argument("--requests", type=int, default=60_000,
                        help="distinct signed requests prepared for each intake run")
    parser.add_argument("--port", type=int, default=8765,
                        help="the app's port; the bare app and the floor listen on the next two")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="clawsite_bench",
                        help="dropped and created anew; its name must contain 'bench'")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    # The database is dropped: refuse any name that could be someone's real data.
    if not re.fullmatch(r"[a-z0-9_]*bench[a-z0-9_]*", args.database):
        parser.error("--database must be lower-case letters, digits, _ and contain 'bench'")
    if args.rounds < 1 or args.duration < args.rounds:
        parser.error("--rounds must be at least 1 and at most --duration")
    return Config(**vars(args))


def server_spec(cfg: Config) -> server.ServerSpec:
    return server.ServerSpec(
        root=ROOT,
        venv_bin=Path(sys.executable).parent,
        port=cfg.port,
        workers=cfg.workers,
        admin_url=cfg.admin_url,
        database=cfg.database,
        signing_key=SIGNING_KEY,
        log=OUT / "gunicorn.log",
    )


def _beside_app(cfg: Config, name: str, port_offset: int, ready_path: str) -> server.ServerSpec:
    """A comparison app (bench/<name>_settings.py, bench/<name>_wsgi.py): same gunicorn,
    workers and flags as the app, its own port and log."""
    return dataclasses.replace(
        server_spec(cfg),
        port=cfg.port + port_offset,
        log=OUT / f"gunicorn-{name}.log",
        settings_module=f"bench.{name}_settings",
        wsgi_app=f"bench.{name}_wsgi:application",
        ready_path=ready_path,
    )


def bare_spec(cfg: Config) -> server.ServerSpec:
    """The bare app: no apps, no middleware, no database."""
    return _beside_app(cfg, "bare", 1, BARE_PATH)


def floor_spec(cfg: Config) -> server.ServerSpec:
    """The floor: the bare app with the app's database and one committed INSERT."""
    return _beside_app(cfg, "floor", 2, FLOOR_READY_PATH)


def floor_environment(cfg: Config) -> dict[str, str]:
    env = server.environment(floor_spec(cfg))
    # The bodies were signed for the app's address; the floor checks them against it.
    env["CLAWOPS_PUBLIC_BASE_URL"] = server_spec(cfg).base_url
    return env


# --- request data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    base: Path  # cycle.lua's argument
    bodies: frozenset[str]  # every body in it, for the database check
    per_thread: int


def intake_data(cfg: Config, spec: server.ServerSpec, name: str, total: int,
                rng: random.Random) -> DataSet:
    per_thread = max(1, total // cfg.threads)
    lines = [
        # The prefix keeps call ids apart between data sets and threads.
        deliveries.signed_lines(f"{name}t{thread}", per_thread, spec.base_url + WEBHOOK_PATH,
                                SIGNING_KEY, rng)
        for thread in range(cfg.threads)
    ]
    base = deliveries.write_data(OUT / name, lines)
    bodies = frozenset(line.split("\t", 1)[1] for thread in lines for line in thread)
    return DataSet(base, bodies, per_thread)


def bare_data(cfg: Config, like: DataSet) -> DataSet:
    """The bodies of ``like`` (the warm-up's signed callbacks), so that both apps receive
    requests of the same size; the bare app reads them and stores nothing."""
    lines = [Path(f"{like.base}.{thread}.tsv").read_text().splitlines()
             for thread in range(cfg.threads)]
    base = deliveries.write_data(OUT / "bare", lines)
    return DataSet(base, frozenset(), like.per_thread)


def warn_if_cycled(result: WrkResult, data: DataSet, label: str) -> None:
    if result.most_per_thread > data.per_thread:
        print(f"  note: {label} sent more than its {data.per_thread} requests per thread and "
              "started over: re-sends exceeded 20%; pass a larger --requests", flush=True)


# --- runs -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """Measured runs against one endpoint, and the CPU they cost, as they come in."""

    runs: list[WrkResult]
    cpu: server.Cpu

    def load(self) -> Load:
        return Load(self.runs, self.cpu)


@dataclass(frozen=True)
class Servers:
    """The servers, running: the app, the bare baseline app and the floor, and their
    masters' pids."""

    app: server.ServerSpec
    bare: server.ServerSpec
    floor: server.ServerSpec
    masters: list[int]

    def cpu_now(self) -> server.Cpu:
        return server.cpu_now(self.app.database_url, self.masters)


def other_cores(busy_seconds: float, wall_seconds: float, measured: list[Load]) -> float:
    """Cores that processes other than the servers, their database backends and wrk used
    while the runs were measured (the bench's own bookkeeping between runs included)."""
    ours = sum(load.cpu.total for load in measured)
    return max(0.0, busy_seconds - ours) / wall_seconds


def measure(wrk: WrkSpec, servers: Servers, seconds: int, url: str, data: DataSet,
            label: str, tally: Tally) -> None:
    before = servers.cpu_now()
    tally.runs.append(run_wrk(wrk, url, data.base, seconds, label))
    tally.cpu = tally.cpu + (servers.cpu_now() - before)


@dataclass(frozen=True)
class Measured:
    intake: Load
    bare: Load
    floor: Load
    warm_up: WrkResult
    other_cores: float


def run_all(cfg: Config, servers: Servers, wrk: WrkSpec, warm: DataSet,
            rounds: list[DataSet], bare: DataSet) -> Measured:
    intake_url = servers.app.base_url + WEBHOOK_PATH
    bare_url = servers.bare.base_url + BARE_PATH
    floor_url = servers.floor.base_url + WEBHOOK_PATH
    warm_result = run_wrk(wrk, intake_url, warm.base, cfg.warmup, "warmup-intake")
    warn_if_cycled(warm_result, warm, "the warm-up")
    run_wrk(wrk, bare_url, bare.base, cfg.warmup, "warmup-bare")
    run_wrk(wrk, floor_url, bare.base, cfg.warmup, "warmup-floor")
    intake, baseline = Tally([], server.Cpu()), Tally([], server.Cpu())
    floor = Tally([], server.Cpu())
    busy_before, started = server.machine_busy_seconds(), time.monotonic()
    for number, data in enumerate(rounds, start=1):
        steps = [
            (bare_url, bare, f"bare-{number}", baseline),
            (floor_url, bare, f"floor-{number}", floor),
            (intake_url, data, f"intake-{number}", intake),
        ]
        # ABCCBA: the second round runs the intake first, the third bare first again, …
        order = steps if number % 2 else steps[::-1]
        for url, dataset, label, tally in order:
            measure(wrk, servers, cfg.run_seconds, url, dataset, label, tally)
        warn_if_cycled(intake.runs[-1], data, f"intake run {number}")
    busy = server.machine_busy_seconds() - busy_before
    loads = [intake.load(), baseline.load(), floor.load()]
    others = other_cores(busy, time.monotonic() - started, loads)
    return Measured(*loads, warm_result, others)


# --- database check -------------------------------------------------------------------------


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def stored(spec: server.ServerSpec) -> tuple[dict[str, int], list[bytes]]:
    with psycopg.connect(spec.database_url) as conn:
        counts = {
            table: _count(conn, f"calls_{table}")
            for table in ("webhookdelivery", "callevent", "call")
        }
        for outcome, n in conn.execute(
            "SELECT outcome, count(*) FROM calls_webhookdelivery GROUP BY outcome"
        ):
            counts[f"outcome_{outcome}"] = n
        bodies = [bytes(b) for (b,) in conn.execute("SELECT body FROM calls_webhookdelivery")]
    return counts, bodies


def database_checks(spec: server.ServerSpec, runs: list[WrkResult],
                    sent: frozenset[str]) -> list[Check]:
    counts, bodies = stored(spec)
    stored_deliveries, events = counts["webhookdelivery"], counts["callevent"]
    fields = [dict(parse_qsl(body.decode())) for body in bodies]
    keys = {(f["CallId"], f["CallStatus"]) for f in fields}
    call_ids = {f["CallId"] for f in fields}
    answered = sum(r.ok_responses for r in runs)
    issued = sum(r.issued for r in runs)
    non_2xx = sum(r.err_status for r in runs)
    processed = counts.get("outcome_processed", 0)
    duplicates = counts.get("outcome_duplicate", 0)
    foreign = sum(1 for body in bodies if body.decode() not in sent)
    return [
        Check(non_2xx == 0, f"non-2xx responses from the intake: {non_2xx}"),
        Check(
            answered <= stored_deliveries <= issued,
            f"deliveries stored ({stored_deliveries}) between 2xx answers ({answered}) and "
            f"requests sent ({issued}); the gap is requests cut off when wrk stopped",
        ),
        Check(foreign == 0, f"stored bodies the bench never sent: {foreign}"),
        Check(
            events == len(keys),
            f"events stored ({events}) == distinct (CallId, CallStatus) among stored "
            f"deliveries ({len(keys)})",
        ),
        Check(counts["call"] == len(call_ids),
              f"calls stored ({counts['call']}) == distinct CallId ({len(call_ids)})"),
        Check(processed == events, f"deliveries 'processed' ({processed}) == events ({events})"),
        Check(
            duplicates == stored_deliveries - events,
            f"deliveries 'duplicate' ({duplicates}) == deliveries - events "
            f"({stored_deliveries - events})",
        ),
        Check(stored_deliveries == processed + duplicates,
              f"deliveries with another outcome: {stored_deliveries - processed - duplicates}"),
    ]


# --- main -----------------------------------------------------------------------------------


def benchmark(cfg: Config, binary: str) -> bool:
    spec, bare_server, floor_server = server_spec(cfg), bare_spec(cfg), floor_spec(cfg)
    for port in (spec.port, bare_server.port, floor_server.port):
        if server.port_in_use(port):
            raise RuntimeError(f"127.0.0.1:{port} is already in use; pass --port")
    wrk = WrkSpec(binary, cfg.threads, cfg.connections, OUT)
    rng = random.Random(cfg.seed)
    print("preparing signed requests ...", flush=True)
    # A warm-up at up to 2,000 deliveries/s; each measured run gets --requests.
    warm = intake_data(cfg, spec, "warmup", 2_000 * cfg.warmup, rng)
    rounds = [intake_data(cfg, spec, f"intake{n}", cfg.requests, rng)
              for n in range(1, cfg.rounds + 1)]
    bare = bare_data(cfg, warm)
    print(f"creating database {cfg.database} and migrating ...", flush=True)
    server.create_database(spec)
    env = server.environment(spec)
    server.migrate(spec, env)
    with psycopg.connect(spec.database_url, autocommit=True) as conn:
        conn.execute(CREATE_TABLE)
    print(f"starting gunicorn three times, app, bare app and floor ({cfg.workers} sync "
          "workers each) ...", flush=True)
    load_before = os.getloadavg()
    with (server.gunicorn(spec, env) as app_master,
          server.gunicorn(bare_server, server.environment(bare_server)) as bare_master,
          server.gunicorn(floor_server, floor_environment(cfg)) as floor_master):
        servers = Servers(spec, bare_server, floor_server,
                          [app_master, bare_master, floor_master])
        measured = run_all(cfg, servers, wrk, warm, rounds, bare)
    load_after = os.getloadavg()
    # Counted after the server stopped, so every request it accepted has been committed.
    sent = warm.bodies.union(*(data.bodies for data in rounds))
    checks = database_checks(spec, [measured.warm_up, *measured.intake.runs], sent)
    setup = [
        f"servers: gunicorn, {cfg.workers} sync workers each: the app on 127.0.0.1:{spec.port} "
        f"(PostgreSQL database {cfg.database}), the bare app on 127.0.0.1:{bare_server.port}, "
        f"the floor on 127.0.0.1:{floor_server.port} (same database)",
        f"load:    wrk, {cfg.connections} connections, {cfg.threads} threads; "
        f"{cfg.rounds * cfg.run_seconds} s per endpoint in {cfg.rounds} round(s), after "
        f"{cfg.warmup} s warm-up each; 20% of deliveries are re-sends",
    ]
    machine = Machine(load_before, load_after, measured.other_cores)
    loads = Loads(measured.intake, measured.bare, measured.floor)
    return report(setup, Endpoints(WEBHOOK_PATH, BARE_PATH, WEBHOOK_PATH), loads, checks,
                  machine, vars(cfg), OUT)


def raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops gunicorn


def main(argv: list[str]) -> int:
    cfg = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    binary = ensure_wrk()
    OUT.mkdir(exist_ok=True)
    try:
        return 0 if benchmark(cfg, binary) else 1
    except (RuntimeError, subprocess.CalledProcessError, psycopg.OperationalError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
