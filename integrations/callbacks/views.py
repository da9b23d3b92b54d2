"""``/voice/callbacks/<pk>/…``: the VoiceML ClawOps fetches when a staff callback connects.

Signed by ClawOps like every webhook and checked the same way (integrations.voiceml.endpoint),
before the body is read. The script says why we call and records a short message (contract §6,
<Record>); the Record ``action`` is the second document, which keeps the message's URL on
the callback's job and ends the call.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from integrations import voiceml
from integrations.callbacks import callback_calls
from integrations.formatting import spoken_time
from integrations.models import CallbackRequest

# Seconds of message the customer may leave.
MESSAGE_MAX_SECONDS = 120


@voiceml.document_endpoint
def callback_script(request: HttpRequest, fields: dict[str, str], pk: int) -> bytes:
    callback = CallbackRequest.objects.select_related("call").filter(pk=pk).first()
    return voiceml.render("callback_script.xml", {
        "callback": callback,
        "when": spoken_time(callback.call.started_at) if callback else "",
        "max_seconds": MESSAGE_MAX_SECONDS,
        "done_url": f"{settings.CLAWOPS_PUBLIC_BASE_URL}/voice/callbacks/{pk}/done/",
    })


@voiceml.endpoint
def callback_done(request: HttpRequest, fields: dict[str, str], pk: int) -> bytes:
    callback_calls.keep_voice_message(pk, fields.get("RecordingUrl", ""),
                                      fields.get("RecordingDuration", ""))
    return voiceml.render("callback_done.xml", {})
