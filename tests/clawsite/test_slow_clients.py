"""Slow clients cannot stall the app (clawsite/gunicorn.conf.py): connections that send a
request's headers and then only part of its body are held open while /healthz answers.
The same load against a single sync worker shows what it guards against."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.db import connection

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent.parent
SLOW_CLIENTS = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def web_server(log: Path, **settings: str) -> Iterator[str]:
    """gunicorn with clawsite/gunicorn.conf.py, one worker, ``settings`` on top."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clawsite.settings",
           "DJANGO_SECRET_KEY": "slow-client-test", "DATABASE_URL": database_url(),
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1", **settings}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "clawsite/gunicorn.conf.py",
             "--no-control-socket", "clawsite.wsgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    httpx.get(url + "/healthz", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def slow_clients(url: str, count: int) -> Iterator[None]:
    """``count`` connections that promise a 200-byte body and send 10 bytes of it."""
    port = int(url.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"POST /webhooks/clawops/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
                         b'{"event": ')
            held.append(sock)
        time.sleep(0.5)  # let the server hand each one to a worker or thread
        yield
    finally:
        for sock in held:
            sock.close()


def health_answers(url: str) -> bool:
    try:
        httpx.get(url + "/healthz", timeout=3)
    except httpx.TimeoutException:
        return False
    return True


def test_healthz_answers_while_slow_clients_hold_connections(tmp_path):
    with web_server(tmp_path / "gthread.log") as url, slow_clients(url, SLOW_CLIENTS):
        assert health_answers(url)
        assert health_answers(url)


def test_a_single_sync_worker_is_stalled_by_the_same_clients(tmp_path):
    """What the threaded configuration guards against (and proof the test above can fail)."""
    # One thread: with more, gunicorn itself turns a sync worker into a gthread one.
    with web_server(tmp_path / "sync.log", GUNICORN_WORKER_CLASS="sync",
                    GUNICORN_THREADS="1") as url, slow_clients(url, 1):
        assert not health_answers(url)
