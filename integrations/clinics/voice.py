"""VoiceML documents for the reminder call (contract §6: TwiML-compatible XML).

The script says the clinic, the patient and the time, and asks for 1 (confirm) or 2
(cancel). No input repeats the question once, then the call ends with the clinic's number.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from django.conf import settings

from calls.phone import format_phone
from integrations.formatting import korean_datetime
from integrations.models import Appointment, ReplyIntent
from integrations.voiceml import document, say

GATHER_TIMEOUT_SECONDS = 6


def gather_url(appointment: Appointment) -> str:
    return (f"{settings.CLAWOPS_PUBLIC_BASE_URL}/voice/reminders/"
            f"{appointment.pk}/{appointment.cycle}/gather/")


def reminder_script(appointment: Appointment) -> bytes:
    clinic = appointment.clinic
    question = "예약을 확인하시려면 1번, 취소하시려면 2번을 눌러 주세요."

    def build(response: ET.Element) -> None:
        first = ET.SubElement(response, "Gather", numDigits="1", method="POST",
                              timeout=str(GATHER_TIMEOUT_SECONDS), action=gather_url(appointment))
        say(first, f"안녕하세요, {clinic.name}입니다. {appointment.patient_name}님, "
                    f"{korean_datetime(appointment.starts_at)} 예약이 있습니다. {question}")
        again = ET.SubElement(response, "Gather", numDigits="1", method="POST",
                              timeout=str(GATHER_TIMEOUT_SECONDS), action=gather_url(appointment))
        say(again, f"다시 안내해 드립니다. {question}")
        say(response, f"응답이 없어 전화를 마칩니다. 예약 변경은 {format_phone(clinic.phone)}로 "
                       "연락해 주세요.")
        ET.SubElement(response, "Hangup")

    return document(build)


CLOSING_LINES = {
    ReplyIntent.CONFIRM: "예약이 확인되었습니다. 감사합니다.",
    ReplyIntent.CANCEL: "예약이 취소되었습니다. 다시 예약하시려면 병원으로 연락해 주세요.",
    ReplyIntent.OTHER: "담당 직원이 곧 다시 연락드리겠습니다.",
}


def closing(intent: str, appointment: Appointment | None) -> bytes:
    def build(response: ET.Element) -> None:
        if appointment is None:
            say(response, "예약 정보가 변경되었습니다. 병원으로 연락해 주세요.")
        else:
            say(response, CLOSING_LINES[intent])
        ET.SubElement(response, "Hangup")

    return document(build)


def intent_of_digits(digits: str) -> str:
    return {"1": ReplyIntent.CONFIRM, "2": ReplyIntent.CANCEL}.get(digits.strip(),
                                                                 ReplyIntent.OTHER)
