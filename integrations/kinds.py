"""The kinds of job, each with its handler and what it needs (the ledger's dispatch table)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from integrations.models import Job


@dataclass(frozen=True)
class Done:
    """The job did its one thing; ``result`` is kept on the row."""

    result: dict[str, object]


@dataclass(frozen=True)
class NotYet:
    """Nothing failed, but the job must run again later (a transcript still pending)."""

    reason: str
    after_seconds: int


@dataclass(frozen=True)
class Skipped:
    """A rule said no (quiet hours, opted out, too late): recorded, never retried."""

    reason: str


Outcome = Done | NotYet | Skipped


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str  # lazily translated
    handler: Callable[[Job], Outcome]
    # The integration it uses: the job is skipped while that integration is off.
    integration: str
    # Whether a request that may already have arrived can safely be sent again
    # (the receiver dedupes, or the request only reads).
    resend_when_in_doubt: bool


_CLAWOPS_API = ("CLAWOPS_API_KEY", "CLAWOPS_ACCOUNT_ID")
# Each integration and the settings it cannot work without.
INTEGRATION_SETTINGS: dict[str, tuple[str, ...]] = {
    "slack": ("SLACK_WEBHOOK_URL",),
    "crm": ("CRM_API_URL", "CRM_API_TOKEN"),
    "clawops": _CLAWOPS_API,
    "order_calls": (*_CLAWOPS_API, "CLAWOPS_FROM_NUMBER", "CLAWOPS_ORDER_AGENT_ID"),
    "callbacks": (*_CLAWOPS_API, "CLAWOPS_FROM_NUMBER"),
}


def missing_settings(name: str) -> tuple[str, ...]:
    """The settings integration ``name`` needs and does not have ("" counts as missing)."""
    return tuple(s for s in INTEGRATION_SETTINGS.get(name, ()) if not getattr(settings, s))


def integration_problems() -> dict[str, str]:
    """Each integration that is off, with the reason (missing settings)."""
    problems: dict[str, str] = {}
    for name in INTEGRATION_SETTINGS:
        missing = missing_settings(name)
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            problems[name] = f"{' and '.join(missing)} {verb} not set"
    return problems


# Kind names, as stored in Job.kind.
SLACK_MISSED_CALL = "slack.missed_call"
FETCH_ARTIFACTS = "clawops.artifacts"
CRM_ACTIVITY = "crm.activity"
REMINDER_SMS = "reminder.sms"
REMINDER_CALL = "reminder.call"
ORDER_CONFIRMATION_CALL = "order.confirmation_call"
CALLBACK_CALL = "callback.call"
ORDER_SETTLE = "order.settle"


@functools.cache
def table() -> dict[str, JobKind]:
    """Every kind of job by name. Built on first use: the handlers import the ledger."""
    from integrations import artifacts, callbacks, crm, orders, reminders, slack

    kinds = [
        JobKind(SLACK_MISSED_CALL, _("Missed-call Slack alert"), slack.send_missed_call_alert,
                integration="slack", resend_when_in_doubt=False),
        JobKind(FETCH_ARTIFACTS, _("Fetch transcript and summary"), artifacts.fetch_artifacts,
                integration="clawops", resend_when_in_doubt=True),
        # The CRM dedupes on the Idempotency-Key header we send.
        JobKind(CRM_ACTIVITY, _("CRM call record"), crm.push_activity,
                integration="crm", resend_when_in_doubt=True),
        # A call or SMS that may exist is never created again blindly (product.md rule 6).
        JobKind(REMINDER_SMS, _("Appointment reminder SMS"), reminders.send_reminder_sms,
                integration="clawops", resend_when_in_doubt=False),
        JobKind(REMINDER_CALL, _("Appointment reminder call"), reminders.place_reminder_call,
                integration="clawops", resend_when_in_doubt=False),
        JobKind(ORDER_CONFIRMATION_CALL, _("Order confirmation call"),
                orders.place_confirmation_call,
                integration="order_calls", resend_when_in_doubt=False),
        JobKind(CALLBACK_CALL, _("Staff call-back"), callbacks.place_callback_call,
                integration="callbacks", resend_when_in_doubt=False),
        # Internal work (no integration to be off); settling twice changes nothing.
        JobKind(ORDER_SETTLE, _("Order call outcome"), orders.settle_after_call,
                integration="", resend_when_in_doubt=True),
    ]
    return {kind.name: kind for kind in kinds}


def label(name: str) -> str:
    kind = table().get(name)
    return kind.label if kind else name
