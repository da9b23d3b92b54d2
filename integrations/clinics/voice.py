"""VoiceML documents for the reminder call (contract §6: TwiML-compatible XML).

The script says the clinic, the patient and the time, and asks for 1 (confirm) or 2
(cancel). No input repeats the question once, then the call ends with the clinic's number.
The words are in templates/integrations/voiceml/reminder_*.xml.
"""

from __future__ import annotations

from django.conf import settings

from calls.phone import format_phone
from integrations import voiceml
from integrations.formatting import korean_datetime
from integrations.models import Appointment, ReplyIntent

GATHER_TIMEOUT_SECONDS = 6


def gather_url(appointment: Appointment) -> str:
    return (f"{settings.CLAWOPS_PUBLIC_BASE_URL}/voice/reminders/"
            f"{appointment.pk}/{appointment.cycle}/gather/")


def reminder_script(appointment: Appointment) -> bytes:
    return voiceml.render("reminder_script.xml", {
        "appointment": appointment,
        "clinic": appointment.clinic,
        "when": korean_datetime(appointment.starts_at),
        "clinic_phone": format_phone(appointment.clinic.phone),
        "gather_url": gather_url(appointment),
        "timeout": GATHER_TIMEOUT_SECONDS,
    })


def closing(intent: str, appointment: Appointment | None) -> bytes:
    """The last line of the call: what the key did, or — for an earlier cycle of a
    rescheduled appointment (``appointment`` None) — a neutral line without the old time."""
    return voiceml.render("reminder_closing.xml", {"intent": intent, "appointment": appointment})


def intent_of_digits(digits: str) -> str:
    return {"1": ReplyIntent.CONFIRM, "2": ReplyIntent.CANCEL}.get(digits.strip(),
                                                                 ReplyIntent.OTHER)
