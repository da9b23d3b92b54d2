"""The two ClawOps webhook signature schemes, as pure functions (no Django).

- ``X-Signature``: base64 HMAC-SHA256 of the full public URL followed by the form fields
  sorted by name, each as name then value (contract §4.1; the SDK's ``_compute_signature``).
- ``X-ClawOps-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body (contract §4.2).

Each verifier takes every configured key, so a key can be rotated by listing old and new
side by side; one match is enough. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

CLAWOPS_PREFIX = "sha256="


def x_signature(url: str, params: Mapping[str, str], key: str) -> str:
    message = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(key.encode(), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def clawops_signature(body: bytes, secret: str) -> str:
    return CLAWOPS_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_x_signature(
    url: str, params: Mapping[str, str], header: str, keys: Iterable[str]
) -> bool:
    given = header.strip().encode()
    # Evaluate every key (no early exit) so timing says nothing about which one matched.
    matches = [hmac.compare_digest(x_signature(url, params, key).encode(), given) for key in keys]
    return any(matches)


def verify_clawops_signature(body: bytes, header: str, secrets: Iterable[str]) -> bool:
    given = header.strip().lower().encode()
    matches = [
        hmac.compare_digest(clawops_signature(body, secret).encode(), given) for secret in secrets
    ]
    return any(matches)
