"""Which integrations are off, and what that means for staff, in their language.

kinds.missing_settings says which settings are missing; this module says it in words: each
integration's name and what does not happen while it is off. The pages warn with it
(``{% integrations_off "clawops" %}`` in integrations/templatetags/integration_status.py), and
so do the start-up checks (integrations/checks.py), in English.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.jobs.kinds import INTEGRATION_SETTINGS, missing_settings

NAMES: dict[str, Promise] = {
    "slack": _("Slack alerts"),
    "crm": _("CRM records"),
    "clawops": _("ClawOps API"),
    "order_calls": _("Order confirmation calls"),
    "callbacks": _("Call-backs"),
    "order_webhook": _("Order webhook"),
}
EFFECTS: dict[str, Promise] = {
    "slack": _("Missed calls are not posted to Slack."),
    "crm": _("Finished calls are not recorded in the CRM."),
    "clawops": _("No reminder SMS or call is sent, and no transcript or summary is fetched."),
    "order_calls": _("No order confirmation call is placed."),
    "callbacks": _("No call-back is placed."),
    "order_webhook": _("Shops' orders are refused (503) and no confirmation call is placed."),
}


@dataclass(frozen=True)
class Off:
    name: str
    label: str
    missing: tuple[str, ...]
    effect: str

    @property
    def text(self) -> str:
        """The warning a page shows: what is off, the settings it lacks, what does not happen."""
        return gettext("Off: %(integration)s (%(settings)s not set). %(effect)s") % {
            "integration": self.label, "settings": ", ".join(self.missing), "effect": self.effect,
        }


def integration_name(name: str) -> str:
    return str(NAMES.get(name, name))


def _missing(name: str) -> tuple[str, ...]:
    if name == "order_webhook":  # not a job's integration: the shop's door in
        return () if settings.ORDER_WEBHOOK_SECRETS else ("ORDER_WEBHOOK_SECRET",)
    return missing_settings(name)


def off(*names: str) -> list[Off]:
    """What is off (of ``names``, if given; else every integration), each put into words."""
    return [
        Off(name, integration_name(name), missing, str(EFFECTS[name]))
        for name in (names or tuple(INTEGRATION_SETTINGS))
        if (missing := _missing(name))
    ]


def nothing_sent(name: str) -> str:
    """"Nothing will be sent" for an action that needs ``name``, or "" while it is on."""
    found = off(name)
    return found[0].text if found else ""
