"""System checks: say at start-up which ClawOps settings are missing and what that turns off."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register()
def clawops_webhook_secrets(app_configs, **kwargs) -> list[Warning]:
    if settings.CLAWOPS_SIGNING_KEYS or settings.CLAWOPS_WEBHOOK_SECRETS:
        return []
    return [
        Warning(
            "Neither CLAWOPS_SIGNING_KEY nor CLAWOPS_WEBHOOK_SECRET is set: every ClawOps "
            "webhook will be rejected with 401.",
            hint="Set the account Signing Key (X-Signature) and/or the webhook secret "
            "(X-ClawOps-Signature); several comma-separated values allow key rotation.",
            id="calls.W001",
        )
    ]
