"""Worker benchmark: the job ledger against django-q2 running no-op tasks, same run, same
cluster settings, on the ORM and the Redis broker.

Run from the project root: ``.venv/bin/python bench/jobs.py`` (``--help`` for flags).

For each broker it starts a real ``manage.py qcluster`` (the app's settings, 2 workers) on
a fresh database, twice, each time with the work waiting before it starts: once with N
no-op tasks queued, once with N jobs added in one transaction (half Slack alerts, half CRM
records) against a local receiver (bench/receiver.py) that answers after a few
milliseconds and counts every request and every repeat. It prints both rates,
their ratio, the worker CPU per item, and the repeated requests (must be 0). ``--recovery N``
also times N jobs whose wake-up message was lost (broker purged): only the sweeper, run
by the cluster's schedule, can bring them back.

A rate is items / (last finished − first task started), from the database's own
timestamps: the cluster's start-up before its first task counts for neither side. Exit
status: 0 when every job ended done with no repeated request, 1 otherwise, 2 when the bench
could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages must be importable

import psycopg  # noqa: E402

from bench.server import _children, _process_cpu, port_in_use  # noqa: E402

OUT = ROOT / "bench" / "out"
TARGET_RATE = 200.0
TARGET_RATIO = 2.0


@dataclass(frozen=True)
class Config:
    jobs: int
    runs: int
    brokers: list[str]
    workers: int
    threads: int
    batch: int
    delay_ms: float
    recovery: int
    port: int
    admin_url: str
    database: str
    redis_url: str

    @property
    def database_url(self) -> str:
        return f"{self.admin_url}/{self.database}"


@dataclass(frozen=True)
class Phase:
    items: int
    seconds: float  # first task started → last item finished
    wall: float  # cluster started → last item finished
    cpu: float  # CPU seconds of the cluster's processes

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0


def environment(cfg: Config, broker: str, cluster: str) -> dict[str, str]:
    receiver = f"http://127.0.0.1:{cfg.port}"
    env = {name: value for name, value in os.environ.items()
           if name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.worker_settings", DJANGO_SECRET_KEY="bench-only",
        DATABASE_URL=cfg.database_url, DATABASE_CONN_MAX_AGE="600", LOG_LEVEL="WARNING",
        Q_CLUSTER_NAME=cluster, Q_WORKERS=str(cfg.workers), JOB_THREADS=str(cfg.threads),
        JOB_BATCH_SIZE=str(cfg.batch), PYTHONUNBUFFERED="1",
        SLACK_WEBHOOK_URL=f"{receiver}/slack/services/T0/B0/bench",
        CRM_API_URL=f"{receiver}/crm", CRM_API_TOKEN="bench-token",
    )
    if broker == "redis":
        env["REDIS_URL"] = cfg.redis_url
    return env


def django_command(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.job_load", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.job_load {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)


def start_cluster(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def cluster_cpu(proc: subprocess.Popen[bytes]) -> float:
    """CPU seconds of the cluster's process tree (sentinel, pusher, monitor, workers)."""
    total, todo = 0.0, [proc.pid]
    while todo:
        pid = todo.pop()
        total += _process_cpu(pid)
        todo += _children(pid)
    return total


def stop_cluster(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def wait_until(query: str, params: tuple, want: int, cfg: Config, proc, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(cfg.database_url, autocommit=True) as conn:
        while True:
            (count,) = conn.execute(query, params).fetchone()
            if count >= want:
                return
            if proc.poll() is not None:
                raise RuntimeError("the cluster exited; see bench/out/qcluster.log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out: {count} of {want} after {timeout:.0f} s")
            time.sleep(0.2)


def reset_tables(cfg: Config) -> None:
    with psycopg.connect(cfg.database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE django_q_task, django_q_ormq, integrations_jobwakeup")


def measure_noops(cfg: Config, broker: str) -> Phase:
    cluster = f"bench-{uuid.uuid4().hex[:8]}"
    env = environment(cfg, broker, cluster)
    reset_tables(cfg)
    group = f"noop-{cluster}"
    # Queued before the cluster starts, as the jobs are added: on Redis each async_task is
    # handed over at once, so queuing into a running cluster would time this process's
    # queuing (about 1 ms a task, on the same cores) as much as django-q's running.
    django_command(env, "noops", str(cfg.jobs), group)
    proc = start_cluster(env, OUT / "qcluster.log")
    started = time.monotonic()
    try:
        wait_until('SELECT count(*) FROM django_q_task WHERE "group" = %s AND success',
                   (group,), cfg.jobs, cfg, proc, timeout=cfg.jobs / 5 + 60)
        wall = time.monotonic() - started
        cpu = cluster_cpu(proc)
    finally:
        stop_cluster(proc)
    with psycopg.connect(cfg.database_url) as conn:
        (span,) = conn.execute(
            'SELECT EXTRACT(EPOCH FROM max(stopped) - min(started)) FROM django_q_task'
            ' WHERE "group" = %s', (group,)).fetchone()
    return Phase(cfg.jobs, float(span), wall, cpu)


def job_phase(cfg: Config, broker: str, count: int, *, lose_messages: bool) -> Phase:
    cluster = f"bench-{uuid.uuid4().hex[:8]}"
    env = environment(cfg, broker, cluster)
    reset_tables(cfg)
    tag = uuid.uuid4().hex[:8]
    if lose_messages:
        manage(env, "sync_schedules")  # the sweeper, every minute, first run at start
    # Added before the cluster starts, as the no-op tasks are queued: both phases start
    # with all their work waiting, so the cluster's start-up weighs on both alike.
    django_command(env, "jobs", str(count), tag)
    if lose_messages:
        dropped = django_command(env, "lose-messages")["dropped"]
        print(f"    {count} jobs added, {dropped} queue message(s) dropped", flush=True)
    proc = start_cluster(env, OUT / "qcluster.log")
    started = time.monotonic()
    try:
        wait_until("SELECT count(*) FROM integrations_job WHERE subject LIKE %s"
                   " AND state NOT IN ('pending', 'running')", (f"CA{tag}%",), count, cfg,
                   proc, timeout=count / 5 + 180)
        wall = time.monotonic() - started
        # The monitor saves a task's record after it ends: the rate starts at the first.
        wait_until("SELECT count(*) FROM django_q_task WHERE func = 'integrations.tasks.run_due'",
                   (), 1, cfg, proc, timeout=60)
        cpu = cluster_cpu(proc)
    finally:
        stop_cluster(proc)
    with psycopg.connect(cfg.database_url) as conn:
        states = dict(conn.execute(
            "SELECT state, count(*) FROM integrations_job WHERE subject LIKE %s"
            " GROUP BY state", (f"CA{tag}%",)).fetchall())
        (span,) = conn.execute(
            "SELECT EXTRACT(EPOCH FROM (SELECT max(finished_at) FROM integrations_job"
            "  WHERE subject LIKE %s) - (SELECT min(started) FROM django_q_task"
            "  WHERE func = 'integrations.tasks.run_due'))", (f"CA{tag}%",)).fetchone()
        if lose_messages:
            conn.execute("DELETE FROM django_q_schedule")
    if states != {"done": count}:
        raise BenchFailure(f"jobs ended {states}, expected {count} done")
    return Phase(count, float(span), wall, cpu)


class BenchFailure(Exception):
    pass


def receiver_stats(cfg: Config, *, reset: bool = False) -> dict[str, int]:
    url = f"http://127.0.0.1:{cfg.port}/" + ("reset" if reset else "stats")
    request = urllib.request.Request(url, method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def prepare(cfg: Config) -> subprocess.Popen[bytes]:
    OUT.mkdir(exist_ok=True)
    (OUT / "qcluster.log").write_text("")
    with psycopg.connect(f"{cfg.admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg.database}"')
    manage(environment(cfg, "orm", "bench-migrate"), "migrate", "--noinput", "-v", "0")
    # A receiver left by an interrupted run would answer in this one's place and count for it.
    if port_in_use(cfg.port):
        raise RuntimeError(f"127.0.0.1:{cfg.port} is already in use; pass --port")
    receiver = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "receiver.py"), "--port", str(cfg.port),
         "--delay-ms", str(cfg.delay_ms)], stdout=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            receiver_stats(cfg)
            return receiver
        except OSError:
            if time.monotonic() > deadline or receiver.poll() is not None:
                raise RuntimeError(f"the receiver did not start on port {cfg.port}") from None
            time.sleep(0.1)


def run(cfg: Config) -> int:
    receiver = prepare(cfg)
    failures = 0
    try:
        for number in range(1, cfg.runs + 1):
            for broker in cfg.brokers:
                load = load_average()
                noop = measure_noops(cfg, broker)
                receiver_stats(cfg, reset=True)
                jobs = job_phase(cfg, broker, cfg.jobs, lose_messages=False)
                seen = receiver_stats(cfg)
                ratio = jobs.rate / noop.rate
                ok = seen["repeated"] == 0 and seen["distinct"] == cfg.jobs
                failures += not ok
                print(f"run {number} {broker:5}  jobs {jobs.rate:6.1f}/s  no-op tasks "
                      f"{noop.rate:5.1f}/s  ratio {ratio:4.2f}  worker CPU/item "
                      f"{1000 * jobs.cpu / jobs.items:4.1f} ms vs "
                      f"{1000 * noop.cpu / noop.items:4.1f}"
                      f" ms  requests {seen['requests']} repeated {seen['repeated']}"
                      f"  load {load}  {'PASS' if ok else 'FAIL'}", flush=True)
                meets = jobs.rate >= TARGET_RATE and ratio >= TARGET_RATIO
                print(f"      targets (>= {TARGET_RATE:.0f} jobs/s, >= {TARGET_RATIO:.0f}x): "
                      f"{'met' if meets else 'missed'}", flush=True)
        if cfg.recovery:
            for broker in cfg.brokers:
                receiver_stats(cfg, reset=True)
                load = load_average()
                phase = job_phase(cfg, broker, cfg.recovery, lose_messages=True)
                seen = receiver_stats(cfg)
                ok = seen["repeated"] == 0 and seen["distinct"] == cfg.recovery
                failures += not ok
                print(f"recovery {broker:5}  {cfg.recovery} jobs done {phase.wall:5.1f} s after "
                      f"the worker started ({phase.rate:.0f} jobs/s once woken)  requests "
                      f"{seen['requests']} repeated {seen['repeated']}  load {load}  "
                      f"{'PASS' if ok else 'FAIL'}", flush=True)
    except BenchFailure as exc:
        print(f"FAIL: {exc}", flush=True)
        return 1
    finally:
        receiver.kill()
        receiver.wait()
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Job ledger worker vs django-q2 no-op tasks.")
    parser.add_argument("--jobs", type=int, default=2000, help="N, jobs and no-op tasks each")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--brokers", default="orm,redis")
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS")
    parser.add_argument("--threads", type=int, default=8, help="JOB_THREADS")
    parser.add_argument("--batch", type=int, default=100, help="JOB_BATCH_SIZE")
    parser.add_argument("--delay-ms", type=float, default=5.0, help="receiver answer delay")
    parser.add_argument("--recovery", type=int, default=0, help="jobs for the lost-messages run")
    parser.add_argument("--port", type=int, default=8793, help="receiver port")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="clawsite_bench_jobs")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench' (it is dropped and created)")
    cfg = Config(args.jobs, args.runs, args.brokers.split(","), args.workers, args.threads,
                 args.batch, args.delay_ms, args.recovery, args.port, args.admin_url,
                 args.database, args.redis_url)
    print(f"{cfg.jobs} jobs vs {cfg.jobs} no-op tasks; {cfg.workers} workers, {cfg.threads} "
          f"threads, batches of {cfg.batch}; receiver answers after {cfg.delay_ms} ms; "
          f"{os.cpu_count()} CPUs", flush=True)
    try:
        return run(cfg)
    except (RuntimeError, OSError, subprocess.SubprocessError, psycopg.Error) as exc:
        print(f"could not run: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
