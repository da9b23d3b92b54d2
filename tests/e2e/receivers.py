"""Local receivers standing in for Slack, the CRM and the ClawOps API in the end-to-end
tests: each records what it was sent and answers what the test tells it to, on 127.0.0.1
with an ephemeral port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.e2e.waiting import DEADLINE_SECONDS


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
        # Seconds every answer waits after the request was recorded (a slow receiver).
        self.delay_seconds = 0.0
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
            self.delay_seconds = 0.0
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
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
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
