"""The texts clawsite sends to people — the reminder SMS, the VoiceML scripts, the Slack alert,
the order call's agent instruction — rendered from templates/integrations/.

They are rendered in the site's language (settings.LANGUAGE_CODE, Korean): the customer and
the staff's Slack channel read Korean whatever language the request that caused the text was
made in (a staff member using the English admin, ClawOps fetching VoiceML).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def render_text(template_name: str, context: dict[str, Any]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(template_name, context).strip()
