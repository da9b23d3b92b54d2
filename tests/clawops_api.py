"""Answers of the ClawOps REST API in its own JSON shapes, for respx routes in tests."""

from __future__ import annotations

import httpx

API = "https://api.clawops.test/v1/accounts/AC_test"
CREATED = "2026-12-01T05:00:00Z"


def message_created(message_id: str = "MG0001", to: str = "01055551234") -> httpx.Response:
    return httpx.Response(201, json={
        "messageId": message_id, "status": "queued", "type": "sms", "to": to,
        "from": "07052351234", "direction": "outbound", "accountId": "AC_test",
        "dateCreated": CREATED,
    })


def call_created(call_id: str = "CAremind1", to: str = "01055551234") -> httpx.Response:
    return httpx.Response(201, json={
        "callId": call_id, "status": "queued", "to": to, "from": "07052351234",
        "direction": "outbound", "accountId": "AC_test", "dateCreated": CREATED,
    })
