"""``/voice/…``: the VoiceML ClawOps fetches during a reminder call, and the Gather action.

Signed by ClawOps like every webhook and checked the same way (calls.verification), before
the body is read. A request for an earlier cycle of a rescheduled appointment gets a
neutral closing instead of the old time.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calls.decoding import form_fields
from calls.verification import SignatureRejected, verify
from integrations import reminders, voice
from integrations.models import Appointment

logger = logging.getLogger(__name__)


def _verified(request: HttpRequest) -> dict[str, str] | HttpResponse:
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        verify(request, body)
    except SignatureRejected as exc:
        logger.warning("rejected VoiceML request: %s (headers: %s)", exc, sorted(request.headers))
        return JsonResponse({"error": str(exc)}, status=401)
    return form_fields(body)


def _xml(document: bytes) -> HttpResponse:
    return HttpResponse(document, content_type="application/xml; charset=utf-8")


def _current(appointment_id: int, cycle: int) -> Appointment | None:
    return (Appointment.objects.select_related("clinic")
            .filter(pk=appointment_id, cycle=cycle).first())


@csrf_exempt
@require_POST
def reminder_script(request: HttpRequest, appointment_id: int, cycle: int) -> HttpResponse:
    fields = _verified(request)
    if isinstance(fields, HttpResponse):
        return fields
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return _xml(voice.closing("", None))
    return _xml(voice.reminder_script(appointment))


@csrf_exempt
@require_POST
def reminder_answer(request: HttpRequest, appointment_id: int, cycle: int) -> HttpResponse:
    fields = _verified(request)
    if isinstance(fields, HttpResponse):
        return fields
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return _xml(voice.closing("", None))
    digits = fields.get("Digits", "")
    intent = voice.intent_of_digits(digits)
    reminders.apply_answer(appointment.pk, intent, note=f"전화에서 {digits or '(없음)'}번을 누름")
    return _xml(voice.closing(intent, appointment))
