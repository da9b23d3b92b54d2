"""``/voice/…``: the VoiceML ClawOps fetches during a reminder call, and the Gather action.

Signed by ClawOps like every webhook and checked the same way (calls.verification), before
the body is read. A request for an earlier cycle of a rescheduled appointment gets a
neutral closing instead of the old time.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import voiceml
from integrations.clinics import reminders, voice
from integrations.models import Appointment

logger = logging.getLogger(__name__)


def _current(appointment_id: int, cycle: int) -> Appointment | None:
    return (Appointment.objects.select_related("clinic")
            .filter(pk=appointment_id, cycle=cycle).first())


@csrf_exempt
@require_POST
def reminder_script(request: HttpRequest, appointment_id: int, cycle: int) -> HttpResponse:
    fields = voiceml.verified_fields(request)
    if isinstance(fields, HttpResponse):
        return fields
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return voiceml.xml_response(voice.closing("", None))
    return voiceml.xml_response(voice.reminder_script(appointment))


@csrf_exempt
@require_POST
def reminder_answer(request: HttpRequest, appointment_id: int, cycle: int) -> HttpResponse:
    fields = voiceml.verified_fields(request)
    if isinstance(fields, HttpResponse):
        return fields
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return voiceml.xml_response(voice.closing("", None))
    digits = fields.get("Digits", "")
    intent = voice.intent_of_digits(digits)
    reminders.apply_answer(appointment.pk, intent, note=f"전화에서 {digits or '(없음)'}번을 누름")
    return voiceml.xml_response(voice.closing(intent, appointment))
