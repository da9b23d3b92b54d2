"""System checks: what is off for missing settings says so at start-up."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

from integrations.jobs.kinds import integration_problems

_IDS = {
    "slack": "integrations.W001",
    "crm": "integrations.W002",
    "clawops": "integrations.W003",
    "order_calls": "integrations.W005",
    "callbacks": "integrations.W006",
}
_EFFECT = {
    "slack": "missed-call alerts are recorded as skipped",
    "crm": "CRM records of finished calls are recorded as skipped",
    "clawops": "transcripts, summaries and reminders are recorded as skipped",
    "order_calls": "order confirmation calls are recorded as skipped",
    "callbacks": "staff call-backs are recorded as skipped",
}


def integration_warnings(only: tuple[str, ...] = ()) -> list[Warning]:
    """A warning for each integration that is off (of those in ``only``, if given)."""
    return [
        Warning(f"{name} integration is off: {reason}; {_EFFECT[name]}.", id=_IDS[name])
        for name, reason in integration_problems().items()
        if not only or name in only
    ]


@register()
def integrations_configured(app_configs, **kwargs) -> list[Warning]:
    return integration_warnings()


@register()
def order_webhook_configured(app_configs, **kwargs) -> list[Warning]:
    if settings.ORDER_WEBHOOK_SECRETS:
        return []
    return [Warning("order webhook is off: ORDER_WEBHOOK_SECRET is not set; "
                    "POST /webhooks/orders/ answers 503.", id="integrations.W004")]
