"""System checks: each integration that is off for missing settings says so at start-up."""

from __future__ import annotations

from django.core.checks import Warning, register

from integrations.kinds import integration_problems

_IDS = {"slack": "integrations.W001", "crm": "integrations.W002", "clawops": "integrations.W003"}
_EFFECT = {
    "slack": "missed-call alerts are recorded as skipped",
    "crm": "CRM records of finished calls are recorded as skipped",
    "clawops": "transcripts and summaries are not fetched; calls and SMS are not sent",
}


@register()
def integrations_configured(app_configs, **kwargs) -> list[Warning]:
    return [
        Warning(f"{name} integration is off: {reason}; {_EFFECT[name]}.", id=_IDS[name])
        for name, reason in integration_problems().items()
    ]
