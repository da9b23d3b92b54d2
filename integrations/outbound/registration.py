"""Account webhook registrations at ClawOps (contract §5), by raw HTTP: the SDK has no
create/list/update for them (``client.webhooks`` is only the verifier).

``GET/POST {CLAWOPS_BASE_URL}/v1/accounts/{AC}/webhooks`` and ``PUT …/webhooks/{id}`` with
the API key as bearer token; bodies ``{url, events[]}``, answers in snake_case. Sent through
the same door as every other outbound request (integrations/outbound/http.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from integrations.outbound import http
from integrations.outbound.http import OutboundError

RECEIVER = "ClawOps API"

# The account events clawsite handles (family B, contract §1 and §2.4–2.5); they all go to
# the one webhook endpoint, which recognises each kind from its fields.
EVENTS = (
    "message.sent", "message.failed", "message.received",
    "transcript.completed", "transcript.failed",
    "summary.completed", "summary.failed",
    "recording.completed", "recording.failed",
)


@dataclass(frozen=True)
class Registration:
    id: str
    url: str
    events: tuple[str, ...]
    active: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Registration:
        return cls(id=str(data.get("id", "")), url=str(data.get("url", "")),
                   events=tuple(data.get("events") or ()),
                   active=data.get("active", True) is not False)


@dataclass(frozen=True)
class Change:
    """One planned write: create a registration, or update the one with ``id``."""

    url: str
    events: tuple[str, ...]
    id: str = ""
    activate: bool = False

    def describe(self) -> str:
        if not self.id:
            return f"account webhook (new) {self.url}: events {', '.join(self.events)}"
        extra = ", and turn it back on" if self.activate else ""
        return f"account webhook {self.id} {self.url}: events {', '.join(self.events)}{extra}"


def plan(url: str, existing: list[Registration], events: tuple[str, ...] = EVENTS) -> Change | None:
    """What must change so every event reaches ``url``, or None when it already does.

    Registrations for other URLs are left alone. For ours, events someone added by hand are
    kept: only missing ones are added, to the first registration for the URL (an active
    one if any), which is switched back on if it was off.
    """
    ours = [r for r in existing if r.url == url]
    covered = {event for r in ours if r.active for event in r.events}
    missing = [event for event in events if event not in covered]
    if not missing:
        return None
    if not ours:
        return Change(url=url, events=tuple(events))
    target = next((r for r in ours if r.active), ours[0])
    merged = target.events + tuple(e for e in missing if e not in target.events)
    return Change(url=url, events=merged, id=target.id, activate=not target.active)


def list_registrations() -> list[Registration]:
    body = _request("GET", "")
    rows = body if isinstance(body, list) else body.get("data", [])
    return [Registration.from_api(row) for row in rows if isinstance(row, dict)]


def apply(change: Change) -> Registration:
    payload: dict[str, Any] = {"url": change.url, "events": list(change.events)}
    if not change.id:
        return Registration.from_api(_request("POST", "", payload))
    if change.activate:
        payload["active"] = True
    return Registration.from_api(_request("PUT", f"/{change.id}", payload))


def _request(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    url = (f"{settings.CLAWOPS_BASE_URL}/v1/accounts/{settings.CLAWOPS_ACCOUNT_ID}"
           f"/webhooks{path}")
    headers = {"Authorization": f"Bearer {settings.CLAWOPS_API_KEY}"}
    response = http.request(RECEIVER, method, url, payload=payload, headers=headers)
    try:
        return response.json()
    except ValueError:
        raise OutboundError(f"{RECEIVER} answered {response.status_code} without JSON",
                            permanent=True) from None
