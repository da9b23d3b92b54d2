"""``/voice/callbacks/<pk>/…``: the VoiceML ClawOps fetches when a staff callback connects.

Signed by ClawOps like every webhook and checked the same way (calls.verification), before
the body is read. The script says why we call and records a short message (contract §6,
<Record>); the Record ``action`` is the second document, which keeps the message's URL on
the callback's job and ends the call.
"""

from __future__ import annotations

import logging
from datetime import datetime
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import voiceml
from integrations.callbacks import callback_calls
from integrations.models import CallbackRequest
from integrations.voiceml import document, say

logger = logging.getLogger(__name__)

# Seconds of message the customer may leave.
MESSAGE_MAX_SECONDS = 120


def spoken_time(moment: datetime) -> str:
    """'오늘 오후 3시 10분' / '11월 26일 오전 9시': how a time is said, not written."""
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    text = f"{'오전' if local.hour < 12 else '오후'} {hour}시"
    if local.minute:
        text += f" {local.minute}분"
    if local.date() == timezone.localdate():
        return f"오늘 {text}"
    return f"{local.month}월 {local.day}일 {text}"


@csrf_exempt
@require_POST
def callback_script(request: HttpRequest, pk: int) -> HttpResponse:
    fields = voiceml.verified_fields(request)
    if isinstance(fields, HttpResponse):
        return fields
    callback = CallbackRequest.objects.select_related("call").filter(pk=pk).first()
    done_url = f"{settings.CLAWOPS_PUBLIC_BASE_URL}/voice/callbacks/{pk}/done/"

    def build(response: ET.Element) -> None:
        if callback is None:
            say(response, "죄송합니다. 잘못 걸린 전화입니다. 안녕히 계세요.")
        else:
            say(response, f"안녕하세요. {spoken_time(callback.call.started_at)}에 주신 전화를 "
                           "받지 못해 다시 연락드렸습니다.")
            say(response, "용건을 남겨 주시면 확인하고 바로 연락드리겠습니다. 삐 소리가 나면 "
                           "말씀해 주시고, 다 말씀하시면 우물 정자를 눌러 주세요.")
            ET.SubElement(response, "Record", maxLength=str(MESSAGE_MAX_SECONDS),
                          playBeep="true", finishOnKey="#", action=done_url)
            say(response, "감사합니다. 안녕히 계세요.")
        ET.SubElement(response, "Hangup")

    return voiceml.xml_response(document(build))


@csrf_exempt
@require_POST
def callback_done(request: HttpRequest, pk: int) -> HttpResponse:
    fields = voiceml.verified_fields(request)
    if isinstance(fields, HttpResponse):
        return fields
    callback_calls.keep_voice_message(pk, fields.get("RecordingUrl", ""),
                                 fields.get("RecordingDuration", ""))

    def build(response: ET.Element) -> None:
        say(response, "말씀 잘 받았습니다. 확인하고 연락드리겠습니다. 감사합니다.")
        ET.SubElement(response, "Hangup")

    return voiceml.xml_response(document(build))
