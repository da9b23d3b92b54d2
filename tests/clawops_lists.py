"""The ClawOps API's list endpoints as a local stand-in would answer them: calls, messages,
account webhooks and their delivery logs, newest first, in pages (0-based, ``pageSize``).

``ClawOpsLists`` holds the account's state; ``answer(method, path, params)`` gives the
status and JSON of one request. The respx tests route requests to it, and the end-to-end
stand-in server (``ClawOpsListReceiver``) serves it over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.e2e.receivers import ClawOpsApiReceiver, Recorded, Reply


def call(call_id: str, status: str, *, direction: str = "inbound",
         from_: str = "01055551234", to: str = "07052351234",
         created: str = "2026-11-26T00:15:02Z", updated: str | None = "2026-11-26T00:15:40Z",
         duration: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"callId": call_id, "status": status, "direction": direction, "from": from_,
            "to": to, "duration": duration, "accountId": "AC_test", "dateCreated": created,
            "dateUpdated": updated, **extra}


def message(message_id: str, status: str, *, direction: str = "inbound",
            from_: str = "01055551234", to: str = "07052351234", body: str = "네",
            created: str = "2026-11-26T00:20:00Z") -> dict[str, Any]:
    return {"messageId": message_id, "status": status, "type": "sms", "direction": direction,
            "from": from_, "to": to, "body": body, "subject": None, "numMedia": 0,
            "accountId": "AC_test", "dateCreated": created, "dateUpdated": created}


def webhook_log(log_id: str, status: str, *, payload: dict[str, Any],
                created: str = "2026-11-26T00:15:41Z", response_status: int | None = 503,
                url: str = "https://clinic.example.com/webhooks/clawops/") -> dict[str, Any]:
    return {"id": log_id, "webhookId": "WH1", "event": "message.received",
            "requestUrl": url, "requestPayload": payload, "responseStatus": response_status,
            "responseBody": "Service Unavailable", "responseTimeMs": 30, "status": status,
            "attempt": 5, "maxAttempts": 5, "createdAt": created,
            "completedAt": created}


@dataclass
class ClawOpsLists:
    account_id: str
    webhook_url: str
    calls: list[dict[str, Any]] = field(default_factory=list)  # newest first
    messages: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    requested_pages: list[tuple[str, int]] = field(default_factory=list)

    def answer(self, method: str, path: str, params: dict[str, str]) -> tuple[int, Any]:
        prefix = f"/v1/accounts/{self.account_id}"
        if method != "GET" or not path.startswith(prefix):
            return 404, {"error": "not found"}
        resource = path[len(prefix):]
        if resource == "/webhooks":
            return 200, {"data": [{"id": "WH1", "accountId": self.account_id,
                                   "url": self.webhook_url, "events": ["message.received"],
                                   "active": True, "createdAt": "2026-01-01T00:00:00Z"}]}
        lists = {"/calls": self.calls, "/messages": self.messages,
                 "/webhooks/WH1/logs": self.logs}
        if resource not in lists:
            return 404, {"error": "not found"}
        page, size = int(params.get("page", 0)), int(params.get("pageSize", 20))
        self.requested_pages.append((resource, page))
        items = lists[resource]
        return 200, {"data": items[page * size:(page + 1) * size],
                     "meta": {"total": len(items), "page": page, "pageSize": size}}


class ClawOpsListReceiver(ClawOpsApiReceiver):
    """The stand-in ClawOps API server of the end-to-end tests: the lists above, and each
    call's transcript and summary as ClawOpsApiReceiver answers them; Bearer key required."""

    def __init__(self, name: str, lists: ClawOpsLists, api_key: str,
                 segments: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        self.lists = lists
        super().__init__(name, lists.account_id, api_key, segments, summary)

    def answer(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": "bad key"})
        path, _, query = request.path.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        status, body = self.lists.answer(request.method, path, params)
        if status == 404:
            return super().answer(request)
        return Reply(status, body)
