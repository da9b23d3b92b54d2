"""Bounded waits for the end-to-end tests: long enough for a loaded machine, short enough
that a broken build fails instead of hanging."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

# Upper bound for anything a test waits for: long enough for a loaded machine, short
# enough that a broken build fails instead of hanging.
DEADLINE_SECONDS = 30.0



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
