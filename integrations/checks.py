"""System checks: what is off for missing settings says so at start-up."""

from __future__ import annotations

from django.core.checks import Warning, register
from django.utils import translation

from integrations.jobs import integration_status, reasons

_IDS = {
    "slack": "integrations.W001",
    "crm": "integrations.W002",
    "clawops": "integrations.W003",
    "order_webhook": "integrations.W004",
    "order_calls": "integrations.W005",
    "callbacks": "integrations.W006",
}


def integration_warnings(only: tuple[str, ...] = ()) -> list[Warning]:
    """A warning for each integration that is off (of those in ``only``, if given)."""
    # Start-up output is read beside the logs, which are English; the effect is the one the
    # pages show, in its English words.
    with translation.override("en"):
        found = integration_status.off(*(only or tuple(_IDS)))
    return [
        Warning(f"{reasons.integration_off(off.name, off.missing)}. {off.effect}",
                id=_IDS[off.name])
        for off in found
    ]


@register()
def integrations_configured(app_configs, **kwargs) -> list[Warning]:
    return integration_warnings()
