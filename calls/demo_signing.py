"""Signing the made-up webhooks of calls.demo the way ClawOps signs each scheme."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from calls.demo import JSON, SignedRequest, Webhook
from calls.signatures import clawops_signature, x_signature


def sign(
    webhook: Webhook, *, public_url: str, signing_key: str, webhook_secret: str
) -> SignedRequest:
    """Encode a webhook and sign it the way its scheme does.

    ``public_url`` is the URL ClawOps is configured to call (CLAWOPS_PUBLIC_BASE_URL plus
    the path), which is not necessarily the one the request is posted to.
    """
    if webhook.scheme == JSON:
        body = json.dumps(webhook.payload, ensure_ascii=False).encode("utf-8")
        return SignedRequest(
            body,
            {
                "Content-Type": "application/json",
                "X-ClawOps-Signature": clawops_signature(body, webhook_secret),
            },
        )
    fields = _form_fields(webhook.payload)
    return SignedRequest(
        urlencode(fields).encode("ascii"),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Signature": x_signature(public_url, fields, signing_key),
        },
    )


def _form_fields(payload: Mapping[str, object]) -> dict[str, str]:
    return {name: str(value) for name, value in payload.items()}
