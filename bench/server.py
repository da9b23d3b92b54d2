"""The system under load: a fresh PostgreSQL database, two gunicorn servers on loopback (the
app, and the bare baseline app of bench/bare_settings.py), and the CPU each side uses (read
from /proc, so nothing in the app is instrumented)."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ServerSpec:
    root: Path  # the project
    venv_bin: Path
    port: int
    workers: int
    admin_url: str  # PostgreSQL server, without a database
    database: str
    signing_key: str
    log: Path
    settings_module: str = "clawsite.settings"
    ready_path: str = "/healthz"  # answers 200 once the server is up
    wsgi_app: str = "clawsite.wsgi:application"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"{self.admin_url}/{self.database}"


def create_database(spec: ServerSpec) -> None:
    with psycopg.connect(f"{spec.admin_url}/postgres", autocommit=True) as conn:
        # FORCE: a server left over from an interrupted run may still hold connections.
        conn.execute(f'DROP DATABASE IF EXISTS "{spec.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{spec.database}"')


def environment(spec: ServerSpec) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=spec.settings_module,
        DATABASE_URL=spec.database_url,
        DATABASE_CONN_MAX_AGE="600",
        DJANGO_SECRET_KEY="bench-only-secret-key",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        CLAWOPS_SIGNING_KEY=spec.signing_key,
        CLAWOPS_WEBHOOK_SECRET="whsec_bench",
        # X-Signature covers the URL the sender used: here the server's own address.
        CLAWOPS_PUBLIC_BASE_URL=spec.base_url,
        # WhiteNoise warns once per worker that collectstatic never ran; the bench serves
        # no static files, and the warning would bury the figures.
        PYTHONWARNINGS="ignore:No directory at",
    )
    env.pop("DJANGO_BEHIND_TLS_PROXY", None)
    return env


def migrate(spec: ServerSpec, env: dict[str, str]) -> None:
    subprocess.run(
        [str(spec.venv_bin / "python"), "manage.py", "migrate", "--noinput", "--skip-checks",
         "-v", "0"],
        cwd=spec.root, env=env, check=True,
    )


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _wait_until_healthy(proc: subprocess.Popen[bytes], spec: ServerSpec) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{_log_tail(spec.log)}")
        try:
            with urllib.request.urlopen(spec.base_url + spec.ready_path, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn did not answer {spec.ready_path} in 30 s:\n{_log_tail(spec.log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # graceful: workers finish their request, then exit
    try:
        proc.wait(timeout=35)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def gunicorn(spec: ServerSpec, env: dict[str, str]) -> Iterator[int]:
    """Run the server for the block; yields the master's pid."""
    if port_in_use(spec.port):
        raise RuntimeError(f"127.0.0.1:{spec.port} is already in use; pass --port")
    command = [
        str(spec.venv_bin / "gunicorn"), spec.wsgi_app,
        "--bind", f"127.0.0.1:{spec.port}",
        "--workers", str(spec.workers),
        "--worker-class", "sync",
        "--backlog", "2048",
        "--log-level", "warning",
        "--error-logfile", str(spec.log),
        # gunicorn's control socket lives in the home directory, shared by every gunicorn
        # on the machine; the bench needs none.
        "--no-control-socket",
    ]
    # Own session: a Ctrl-C in the terminal reaches the bench, which stops the server.
    proc = subprocess.Popen(command, cwd=spec.root, env=env, start_new_session=True)
    try:
        _wait_until_healthy(proc, spec)
        yield proc.pid
    finally:
        _stop(proc)


# --- CPU accounting -------------------------------------------------------------------------
# The run is CPU bound on a small machine, so CPU per request on each side says where a
# gap to the bare view comes from, and does so more steadily than wall-clock figures.


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used by the app's workers, their database backends, and wrk."""

    app: float = 0.0
    db: float = 0.0
    client: float = 0.0

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(self.app + other.app, self.db + other.db, self.client + other.client)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.app - other.app, self.db - other.db, self.client - other.client)

    @property
    def total(self) -> float:
        return self.app + self.db + self.client


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # from the 3rd field (state) on


def _process_cpu(pid: int) -> float:
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(entry.name))[1]) == parent:
                pids.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


def _backend_pids(database_url: str) -> list[int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_now(database_url: str, masters: list[int]) -> Cpu:
    """CPU so far of every server's workers (an idle one adds nothing), of the database's
    backends, and of the wrk runs already waited for."""
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Cpu(
        app=sum(_process_cpu(pid) for master in masters for pid in _children(master)),
        db=sum(_process_cpu(pid) for pid in _backend_pids(database_url)),
        client=waited.ru_utime + waited.ru_stime,
    )


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (every process, every core), from
    /proc/stat: what the runs did not use themselves, other work on the machine used."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
