"""The kinds of job, each with its handler and what it needs (the ledger's dispatch table).

Handlers are named by dotted path and imported on first use (like healthchecks' TRANSPORTS):
the handler modules import this table for the kind names, so the table never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from integrations.jobs.outcomes import Outcome
    from integrations.models import Job


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str  # lazily translated
    # "package.module.function", imported when a job of this kind first runs.
    handler_path: str
    # The integration it uses: the job is skipped while that integration is off.
    integration: str
    # Whether a request that may already have arrived can safely be sent again
    # (the receiver dedupes, or the request only reads).
    resend_when_in_doubt: bool

    @property
    def handler(self) -> Callable[[Job], Outcome]:
        # After the first import this is a lookup in sys.modules.
        return import_string(self.handler_path)


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


# Kind names, as stored in Job.kind.
SLACK_MISSED_CALL = "slack.missed_call"
FETCH_ARTIFACTS = "clawops.artifacts"
CRM_ACTIVITY = "crm.activity"
REMINDER_SMS = "reminder.sms"
REMINDER_CALL = "reminder.call"
ORDER_CONFIRMATION_CALL = "order.confirmation_call"
CALLBACK_CALL = "callback.call"
ORDER_SETTLE = "order.settle"


_FOLLOW_UPS = "integrations.follow_ups"
_KINDS = [
    JobKind(SLACK_MISSED_CALL, _("Missed-call Slack alert"),
            f"{_FOLLOW_UPS}.missed_calls.send_missed_call_alert",
            integration="slack", resend_when_in_doubt=False),
    JobKind(FETCH_ARTIFACTS, _("Fetch transcript and summary"),
            f"{_FOLLOW_UPS}.artifacts.fetch_artifacts",
            integration="clawops", resend_when_in_doubt=True),
    # The CRM dedupes on the Idempotency-Key header we send.
    JobKind(CRM_ACTIVITY, _("CRM call record"), f"{_FOLLOW_UPS}.crm.push_activity",
            integration="crm", resend_when_in_doubt=True),
    # A call or SMS that may exist is never created again blindly (product.md rule 6).
    JobKind(REMINDER_SMS, _("Appointment reminder SMS"),
            "integrations.clinics.reminders.send_reminder_sms",
            integration="clawops", resend_when_in_doubt=False),
    JobKind(REMINDER_CALL, _("Appointment reminder call"),
            "integrations.clinics.reminders.place_reminder_call",
            integration="clawops", resend_when_in_doubt=False),
    JobKind(ORDER_CONFIRMATION_CALL, _("Order confirmation call"),
            "integrations.orders.confirmation_calls.place_confirmation_call",
            integration="order_calls", resend_when_in_doubt=False),
    JobKind(CALLBACK_CALL, _("Staff call-back"),
            "integrations.callbacks.callback_calls.place_callback_call",
            integration="callbacks", resend_when_in_doubt=False),
    # Internal work (no integration to be off); settling twice changes nothing.
    JobKind(ORDER_SETTLE, _("Order call outcome"),
            "integrations.orders.confirmation_calls.settle_after_call",
            integration="", resend_when_in_doubt=True),
]
_TABLE = {kind.name: kind for kind in _KINDS}


def table() -> dict[str, JobKind]:
    """Every kind of job by name."""
    return _TABLE


def label(name: str) -> str:
    kind = table().get(name)
    return kind.label if kind else name
