"""``/voice/…``: the VoiceML ClawOps fetches during a reminder call, and the Gather action.

Signed by ClawOps like every webhook and checked the same way (integrations.voiceml.endpoint),
before the body is read. A request for an earlier cycle of a rescheduled appointment gets a
neutral closing instead of the old time.
"""

from __future__ import annotations

from django.http import HttpRequest

from integrations import voiceml
from integrations.clinics import reminders, voice
from integrations.jobs import reasons
from integrations.models import AnswerChannel, Appointment


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
) -> bytes:
    appointment = _current(appointment_id, cycle)
    if appointment is None:
        return voice.closing("", None)
    digits = fields.get("Digits", "")
    intent = voice.intent_of_digits(digits)
    reminders.apply_answer(appointment.pk, intent, note=reasons.pressed_key(digits),
                           via=AnswerChannel.CALL)
    return voice.closing(intent, appointment)
