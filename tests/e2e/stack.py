"""Helpers for the end-to-end tests: local receivers standing in for Slack, the CRM and the
ClawOps API, and the real processes under test (web server, worker, sweeper).

Everything runs on 127.0.0.1 with ephemeral ports. Every wait is bounded, and every process
lives in its own process group so that a test can kill a worker the way a crash would
(SIGKILL, children included) and teardown never leaves one behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from calls.signatures import x_signature

# Upper bound for anything a test waits for: long enough for a loaded machine, short
# enough that a broken build fails instead of hanging.
DEADLINE_SECONDS = 30.0
WEBHOOK_PATH = "/webhooks/clawops/"


# --- waiting ---------------------------------------------------------------------------


def wait_for(condition: Callable[[], Any], what: str, *, timeout: float = DEADLINE_SECONDS,
             interval: float = 0.1) -> Any:
    """Poll until ``condition()`` is truthy and return its value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def stays(condition: Callable[[], bool], what: str, *, seconds: float = 1.0,
          interval: float = 0.1) -> None:
    """Assert that ``condition()`` holds for a while: nothing more arrives late."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert condition(), f"no longer true: {what}"
        time.sleep(interval)
    assert condition(), f"no longer true: {what}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- receivers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One request a receiver got, as it arrived."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # dict/list → JSON, str → text
    headers: Mapping[str, str] = field(default_factory=dict)


class Hold:
    """Keeps one matching request unanswered until released, so a test can act (kill the
    worker) while the request has arrived but its answer has not."""

    def __init__(self, method: str, path_suffix: str) -> None:
        self.method = method
        self.path_suffix = path_suffix
        self.arrived = threading.Event()
        self._released = threading.Event()
        self.taken = False

    def matches(self, request: Recorded) -> bool:
        return request.method == self.method and request.path.endswith(self.path_suffix)

    def wait_arrived(self, timeout: float = DEADLINE_SECONDS) -> None:
        if not self.arrived.wait(timeout):
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {self.method} …{self.path_suffix}"
            )

    def release(self) -> None:
        self._released.set()

    def block(self) -> None:
        # Bounded too: a test that forgets to release must not keep a thread forever.
        self._released.wait(DEADLINE_SECONDS * 2)


class Receiver:
    """A threaded HTTP server that records every request and answers with ``answer``.

    The answer is decided when the request arrives (the receiver acts on it then); a hold
    only delays sending it back. That models the case the ledger must survive: the
    receiver did the work, and the sender died before it learned so.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._holds: list[Hold] = []
        self._scripted: list[Reply] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=name,
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self._requests
                    if (method is None or r.method == method) and (path is None or r.path == path)]

    def hold_next(self, method: str, path_suffix: str = "") -> Hold:
        hold = Hold(method, path_suffix)
        with self._lock:
            self._holds.append(hold)
        return hold

    def reset(self) -> None:
        """Forget what came in and release anything held: the next test starts clean."""
        with self._lock:
            holds, self._holds = self._holds, []
            self._requests.clear()
            self._scripted.clear()
        for hold in holds:
            hold.release()

    def reply_next(self, reply: Reply) -> None:
        """Answer the next request with ``reply`` instead of the usual answer, without
        acting on it (a 503 from a receiver that did nothing)."""
        with self._lock:
            self._scripted.append(reply)

    def answer(self, request: Recorded) -> Reply:
        return Reply(404, {"error": "not found"})

    def close(self) -> None:
        with self._lock:
            holds = list(self._holds)
        for hold in holds:
            hold.release()
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, request: Recorded) -> tuple[Reply, Hold | None]:
        with self._lock:
            self._requests.append(request)
            hold = next((h for h in self._holds if not h.taken and h.matches(request)), None)
            if hold is not None:
                hold.taken = True
            reply = self._scripted.pop(0) if self._scripted else self.answer(request)
        return reply, hold


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Recorded(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                raw=self.rfile.read(length) if length else b"",
            )
            reply, hold = receiver._handle(request)
            if hold is not None:
                hold.arrived.set()
                hold.block()
            if isinstance(reply.body, str):
                data, content_type = reply.body.encode(), "text/plain; charset=utf-8"
            else:
                data, content_type = json.dumps(reply.body).encode(), "application/json"
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the sender is gone (killed while we held its request)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads self.requests instead

    return Handler


class SlackReceiver(Receiver):
    """An incoming-webhook URL: answers ``ok`` to every POST, like Slack."""

    PATH = "/slack/services/T000/B000/E2E"

    def answer(self, request: Recorded) -> Reply:
        if request.method == "POST" and request.path == self.PATH:
            return Reply(200, "ok")
        return Reply(404, "no_service")

    @property
    def webhook_url(self) -> str:
        return self.url + self.PATH


class CrmReceiver(Receiver):
    """``POST /crm/activities`` with a bearer token; one stored activity per
    Idempotency-Key, as a CRM that dedupes does (a repeat answers the first one again)."""

    def __init__(self, name: str, token: str) -> None:
        self.token = token
        self.activities: dict[str, dict[str, Any]] = {}
        super().__init__(name)

    def answer(self, request: Recorded) -> Reply:
        if request.method != "POST" or request.path != "/crm/activities":
            return Reply(404, {"error": "not found"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "invalid token"})
        key = request.headers.get("idempotency-key") or f"no-key-{len(self.activities)}"
        if key in self.activities:
            return Reply(200, self.activities[key])
        self.activities[key] = {"id": f"act_{len(self.activities) + 1}", **request.json}
        return Reply(201, self.activities[key])

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.activities.clear()

    @property
    def api_url(self) -> str:
        return self.url + "/crm"


class ClawOpsApiReceiver(Receiver):
    """The two ClawOps API reads the worker makes, answered in the API's camelCase shapes:
    ``GET /v1/accounts/{account}/calls/{call}/transcript`` and ``…/summary``."""

    def __init__(self, name: str, account_id: str, api_key: str,
                 segments: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        self.account_id = account_id
        self.api_key = api_key
        self.segments = segments
        self.summary = summary
        super().__init__(name)

    def answer(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": {"code": "unauthorized", "message": "bad key"}})
        prefix = f"/v1/accounts/{self.account_id}/calls/"
        if request.method != "GET" or not request.path.startswith(prefix):
            return Reply(404, {"error": {"code": "not_found", "message": "no route"}})
        call_id, _, artifact = request.path[len(prefix):].partition("/")
        if artifact == "transcript":
            return Reply(200, {"status": "completed", "callId": call_id,
                               "segments": self.segments, "segmentCount": len(self.segments)})
        if artifact == "summary":
            return Reply(200, {"status": "completed", "callId": call_id,
                               "resultJson": self.summary, "schemaVersion": "default:v1"})
        return Reply(404, {"error": {"code": "not_found", "message": "no route"}})


# --- processes ---------------------------------------------------------------------------


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
