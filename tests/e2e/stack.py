"""The real processes under the end-to-end tests: web server, worker, sweeper (the receivers
standing in for Slack, the CRM and the ClawOps API are in receivers.py).

Everything runs on 127.0.0.1 with ephemeral ports. Every wait is bounded, and every process
lives in its own process group so that a test can kill a worker the way a crash would
(SIGKILL, children included) and teardown never leaves one behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from calls.signatures import x_signature
from tests.e2e.waiting import DEADLINE_SECONDS, wait_for

WEBHOOK_PATH = "/webhooks/clawops/"



class Service:
    """A long-running process (web server or worker) in its own process group."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path,
                 log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, f"{self.name} runs"
        log = self.log_path.open("ab")
        log.write(f"--- start {self.name}: {' '.join(self.argv)}\n".encode())
        log.flush()
        # A session of its own: kill() reaches the worker's children (django-q forks its
        # sentinel, pusher, monitor and workers) and no signal of the test run reaches it.
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: a crash or an OOM kill, nothing gets to clean up."""
        self._signal_group(signal.SIGKILL)
        assert self._reap(5), f"{self.name} survived SIGKILL"

    def stop(self) -> None:
        """Teardown: kill the group outright. A graceful qcluster stop waits seconds for its
        workers, and nothing a test checks depends on a clean exit."""
        if self.process is not None:
            self.kill()

    def wait_for_log(self, text: str) -> None:
        wait_for(lambda: text in self.log_tail(lines=1000), f"{text!r} in the {self.name} log")

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass  # the whole group is gone already

    def _reap(self, timeout: float) -> bool:
        """Wait for the leader, then for the rest of its group to die."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        while time.monotonic() < deadline:
            if not _live_group_members(self.process.pid):
                return True
            time.sleep(0.05)
        return False


def _live_group_members(pgid: int) -> list[int]:
    """Processes of the group that are still running. Zombies do not count: the children
    of a killed leader are reparented to PID 1, which may take seconds to reap them."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid pgrp …"; comm may hold spaces, so split after the ")".
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def run_once(argv: list[str], env: Mapping[str, str], cwd: Path,
             timeout: float = DEADLINE_SECONDS) -> str:
    """Run a command to completion (bounded); return its stdout, fail on a non-zero exit."""
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, start_new_session=True)
    output = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv[1:3])} exited {done.returncode}:\n{output}\n"
            f"{done.stderr.decode(errors='replace')[-3000:]}"
        )
    return output


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """The URL of the database the test process is using (pytest-django's test database),
    so the processes under test see the rows the test sees."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(str(password), safe='')}" if password else user
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{quote(str(settings_dict['NAME']), safe='')}"


def base_environment() -> dict[str, str]:
    """What the processes under test inherit: only what a process needs to start, so no
    variable exported in the developer's shell changes how the app is configured."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PGPASSFILE", "PGSSLMODE")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Stack:
    """The app as deployed: a web server and a worker sharing one database and broker, with
    the sweeper run on demand. The web server can outlive a test; each test gets a fresh
    worker (``new_worker``) with a log of its own."""

    def __init__(self, *, project_dir: Path, env: Mapping[str, str], log_dir: Path,
                 web_port: int, signing_key: str) -> None:
        self.project_dir = project_dir
        self.env = dict(env)
        self.signing_key = signing_key
        self.web_url = f"http://127.0.0.1:{web_port}"
        self._manage = [sys.executable, str(project_dir / "manage.py")]
        self.web = Service(
            "web",
            # No control socket: gunicorn's default is one path per user, shared with any
            # other gunicorn running on the machine.
            [sys.executable, "-m", "gunicorn", "clawsite.wsgi:application", "--bind",
             f"127.0.0.1:{web_port}", "--workers", "2", "--timeout", "30",
             "--no-control-socket"],
            self.env, project_dir, log_dir / "web.log",
        )
        self.worker = self._worker(log_dir / "worker.log")

    def new_worker(self, log_path: Path) -> Service:
        """Stop the current worker and prepare a fresh one that logs to ``log_path``."""
        self.worker.stop()
        self.worker = self._worker(log_path)
        return self.worker

    def _worker(self, log_path: Path) -> Service:
        return Service("worker", [*self._manage, "qcluster"], self.env, self.project_dir,
                       log_path)

    def start_web(self) -> None:
        self.web.start()

        def healthy() -> bool:
            assert self.web.running, f"the web server exited:\n{self.web.log_tail()}"
            try:
                return httpx.get(self.web_url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, "the web server to answer /healthz")

    def start_worker(self) -> None:
        self.worker.start()

    def kill_worker(self) -> None:
        self.worker.kill()

    def stop(self) -> None:
        self.worker.stop()
        self.web.stop()

    def sweep(self) -> dict[str, int]:
        """Run the sweeper once, as the schedule does every minute; return its report
        ("requeued: 0, unknown: 0, enqueued: 1" read as a dict)."""
        output = run_once([*self._manage, "sweep_jobs"], self.env, self.project_dir)
        report: dict[str, int] = {}
        for part in output.strip().split(","):
            name, _, value = part.partition(":")
            report[name.strip()] = int(value)
        return report

    def post_form(self, params: Mapping[str, str]) -> httpx.Response:
        """Post a status callback signed with X-Signature over the public URL, as ClawOps
        does; the web server's CLAWOPS_PUBLIC_BASE_URL is its own address."""
        url = self.web_url + WEBHOOK_PATH
        response = httpx.post(
            url, content=urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Signature": x_signature(url, dict(params), self.signing_key)},
            timeout=10,
        )
        assert response.status_code == 200, (response.status_code, response.text)
        return response

    def logs(self) -> str:
        return "\n".join(
            f"===== {service.name} log (tail) =====\n{service.log_tail()}"
            for service in (self.web, self.worker)
        )
