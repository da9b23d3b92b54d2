"""The one door for outbound HTTP (integrations/outbound/http.py): requests go to the shared
client's transport with the client's default headers and the outbound timeout, answers are
read whole, and connections are kept alive between requests."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import respx

from integrations.outbound import http

CRM = "https://crm.test/api/activities"


@respx.mock
def test_it_sends_json_with_the_clients_default_headers_and_the_callers():
    route = respx.post(CRM).mock(return_value=httpx.Response(201, json={"id": "act_1"}))

    response = http.post_json("CRM", CRM, {"call_id": "CA1", "summary": "예약 문의"},
                              headers={"Authorization": "Bearer t", "Accept": "application/json"})

    assert response.status_code == 201
    assert response.json() == {"id": "act_1"}
    sent = route.calls.last.request
    assert json.loads(sent.content) == {"call_id": "CA1", "summary": "예약 문의"}
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["authorization"] == "Bearer t"
    # The caller's header replaces the default one; the other defaults stay.
    assert sent.headers.get_list("accept") == ["application/json"]
    assert sent.headers["user-agent"] == http.client().headers["user-agent"]
    assert "gzip" in sent.headers["accept-encoding"]


@respx.mock
def test_it_gives_each_request_the_outbound_timeout(settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 7
    route = respx.post(CRM).mock(return_value=httpx.Response(201))

    http.post_json("CRM", CRM, {})

    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 5, "read": 7, "write": 7, "pool": 7}


@respx.mock
def test_a_timeout_after_a_write_left_is_unknown_and_one_before_connecting_is_not():
    respx.post(CRM).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(http.OutboundError) as read_timeout:
        http.post_json("CRM", CRM, {})
    respx.post(CRM).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(http.OutboundError) as refused:
        http.post_json("CRM", CRM, {})

    assert (read_timeout.value.unknown, read_timeout.value.permanent) == (True, False)
    assert (refused.value.unknown, refused.value.permanent) == (False, False)


class CountingHandler(BaseHTTPRequestHandler):
    """Answers 200 over HTTP/1.1 keep-alive; the server counts connections and requests."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.server.connections += 1

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests += 1
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    server.connections = server.requests = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_requests_one_after_another_share_one_kept_alive_connection(local_server):
    url = f"http://127.0.0.1:{local_server.server_address[1]}/activities"

    # More requests than the pool holds connections: each answer, read whole, gives its
    # connection back (a leaked one would exhaust the pool and time out).
    count = http.MAX_CONNECTIONS + 8
    answers = [http.post_json("local", url, {"n": n}).json() for n in range(count)]

    assert answers == [{"ok": True}] * count
    assert local_server.requests == count
    assert local_server.connections == 1
