"""One-call helpers that sign and post a webhook the way ClawOps does, and run work in
parallel threads for the race tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client

from calls.signatures import clawops_signature, x_signature

T = TypeVar("T")
WEBHOOK_PATH = "/webhooks/clawops/"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    """A payload from tests/fixtures/<name>.json (one per webhook kind)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def post_form(client: Client, params: dict[str, str], *, path: str = WEBHOOK_PATH,
              key: str | None = None, signature: str | None = None, **extra):
    """Post form fields signed with X-Signature over the public URL, as ClawOps does."""
    key = key or settings.CLAWOPS_SIGNING_KEYS[-1]
    url = settings.CLAWOPS_PUBLIC_BASE_URL + path
    if signature is None:
        signature = x_signature(url, params, key)
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Signature": signature},
        **extra,
    )


def post_json(client: Client, payload: dict | bytes, *, path: str = WEBHOOK_PATH,
              secret: str | None = None, signature: str | None = None):
    """Post a JSON body signed with X-ClawOps-Signature over the raw bytes."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    secret = secret or settings.CLAWOPS_WEBHOOK_SECRETS[-1]
    if signature is None:
        signature = clawops_signature(body, secret)
    return client.post(
        path, data=body, content_type="application/json",
        headers={"X-ClawOps-Signature": signature},
    )


def in_parallel(count: int, work: Callable[[], T]) -> list[T]:
    """Run ``work()`` in ``count`` threads released at the same moment; return the results.

    Each thread closes its own database connection; an error in any thread fails the test.
    The results are in the order the threads finished.
    """
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def post_in_parallel(count: int, send: Callable[[Client], HttpResponse]) -> list[int]:
    """``send(client)`` in ``count`` threads at once, each with its own client: the statuses."""
    return [response.status_code for response in in_parallel(count, lambda: send(Client()))]
