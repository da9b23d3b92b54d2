"""``/voice/…``: the VoiceML ClawOps fetches during a reminder call, and the Gather action.

Signed by ClawOps like every webhook and checked the same way (integrations.voiceml.endpoint),
before the body is read. A request for an earlier cycle of a rescheduled appointment gets a
neutral closing instead of the old time.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from calls.bounds import CALL_ID_SHAPE
from integrations import voiceml
from integrations.clinics import reminders, voice
from integrations.jobs import reasons
from integrations.models import AnswerChannel, Appointment

# A reminder asks for one key; a longer sequence is kept only this far (staff note, row).
MAX_DIGITS = 16


def _current(appointment_id: int, cycle: int) -> Appointment | None:
    return (Appointment.objects.select_related("clinic")
            .filter(pk=appointment_id, cycle=cycle).first())


@voiceml.document_endpoint
def reminder_script(
    request: HttpRequest, fields: dict[str, str], appointment_id: int, cycle: int
) -> bytes:
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return voice.closing("", None)
    return voice.reminder_script(appointment)


@voiceml.endpoint
def reminder_answer(
    request: HttpRequest, fields: dict[str, str], appointment_id: int, cycle: int
) -> bytes | HttpResponse:
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return voice.closing("", None)
    call_id = fields.get("CallId", "")
    if not CALL_ID_SHAPE.fullmatch(call_id):
        # The call is what makes a press count once: without it, nothing is applied.
        return JsonResponse({"error": "CallId is missing or not a ClawOps call id"}, status=400)
    digits = fields.get("Digits", "")[:MAX_DIGITS]
    applied = reminders.apply_key_press(appointment.pk, call_id, digits,
                                        note=reasons.pressed_key(digits), via=AnswerChannel.CALL)
    return voice.closing(voice.intent_of_digits(applied), appointment)
