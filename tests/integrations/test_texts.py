"""The texts clawsite sends to people (integrations.texts): rendered from templates in the
site's language, Korean, whatever language the request that caused them was in."""

import json
from datetime import UTC, datetime

import pytest
from django.utils import translation

from calls.models import Call
from calls.vocabulary import CallStatus, Direction
from integrations.clinics import reminders, voice
from integrations.follow_ups.missed_calls import missed_call_message
from integrations.models import Appointment, Clinic
from integrations.orders.agent_context import instruction
from tests.helpers import post_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment() -> Appointment:
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    return Appointment.objects.create(clinic=clinic, patient_name="김민지", phone="01055551234",
                                      starts_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC))


def test_it_writes_to_customers_in_korean_while_english_is_active(appointment):
    with translation.override("en"):
        sms = reminders.sms_text(appointment)
        script = voice.reminder_script(appointment).decode()
        agent = instruction()

    assert sms.startswith("[강남연세치과] 김민지님, 12월 1일(화) 15:00 예약이 있습니다.")
    assert "예약을 확인하시려면 1번, 취소하시려면 2번을 눌러 주세요." in script
    assert agent.startswith("쇼핑몰 주문 확인 전화입니다.")


def test_it_answers_clawops_in_korean_when_its_request_asks_for_english(client, appointment):
    response = post_form(client, {"CallId": "CArem1", "CallStatus": "in-progress"},
                         path=f"/voice/reminders/{appointment.pk}/{appointment.cycle}/",
                         HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "안녕하세요, 강남연세치과입니다." in response.content.decode()


def test_its_message_ids_are_the_english_texts(appointment, settings):
    settings.LANGUAGE_CODE = "en"

    assert reminders.sms_text(appointment).startswith(
        "[강남연세치과] 김민지, you have an appointment on")
    assert "Greet the customer by name (customerName)" in instruction()


def test_it_builds_valid_block_kit_whatever_the_caller_number_holds():
    call = Call(call_id="CAodd", direction=Direction.INBOUND, status=CallStatus.NO_ANSWER,
                from_number='sip:"desk"\\pbx', to_number="07052351234",
                started_at=datetime(2026, 11, 26, 0, 15, tzinfo=UTC), pk=7)

    message = missed_call_message(call, 3)

    assert message["text"].startswith('부재중 전화: sip:"desk"\\pbx')
    assert "3회 연속" in message["text"]
    assert json.loads(json.dumps(message)) == message
