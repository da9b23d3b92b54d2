"""One-call helpers that sign and post a webhook the way ClawOps does."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.test import Client

from calls.signatures import clawops_signature, x_signature

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
