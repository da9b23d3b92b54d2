"""/voice/reminders/…: the reminder call's VoiceML, parsed as XML and checked verb by verb."""

from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from integrations.models import Appointment, AppointmentStatus, Clinic
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
CALL = {"CallId": "CArem1", "From": "07052351234", "To": "01055551234",
        "Direction": "outbound", "CallStatus": "in-progress"}


@pytest.fixture
def appointment() -> Appointment:
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    return Appointment.objects.create(
        clinic=clinic, patient_name="김민지", phone="01055551234",
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("Asia/Seoul")))


def parse(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def verbs(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def script_path(appointment: Appointment) -> str:
    return f"/voice/reminders/{appointment.pk}/{appointment.cycle}/"


def test_the_script_asks_once_repeats_once_then_ends(client, appointment):
    root = parse(post_form(client, CALL, path=script_path(appointment)))

    assert verbs(root) == ["Gather", "Gather", "Say", "Hangup"]
    first, again, goodbye, _ = root
    action = f"https://clinic.example.com/voice/reminders/{appointment.pk}/1/gather/"
    for gather in (first, again):
        assert gather.attrib == {"numDigits": "1", "method": "POST", "timeout": "6",
                                 "action": action}
        assert verbs(gather) == ["Say"]
        assert gather[0].attrib == {"language": "ko-KR"}
        assert "1번" in gather[0].text and "2번" in gather[0].text
    question = first[0].text
    assert "강남연세치과" in question and "김민지님" in question
    assert "12월 1일(화) 15:00" in question
    assert again[0].text.startswith("다시 안내해 드립니다.")
    assert goodbye.attrib == {"language": "ko-KR"} and "02-1234-5678" in goodbye.text


@pytest.mark.parametrize(
    ("digits", "status", "line"),
    [("1", AppointmentStatus.CONFIRMED, "예약이 확인되었습니다"),
     ("2", AppointmentStatus.CANCELLED, "예약이 취소되었습니다"),
     ("9", AppointmentStatus.NEEDS_STAFF, "담당 직원이")],
)
def test_the_gather_action_records_the_answer_and_closes(client, appointment, digits, status,
                                                         line):
    root = parse(post_form(client, dict(CALL, Digits=digits),
                           path=script_path(appointment) + "gather/"))

    assert verbs(root) == ["Say", "Hangup"]
    assert line in root[0].text
    appointment.refresh_from_db()
    assert appointment.status == status


def test_a_request_for_an_earlier_cycle_gets_a_neutral_closing(client, appointment):
    path = script_path(appointment)
    Appointment.objects.filter(pk=appointment.pk).update(cycle=2)

    root = parse(post_form(client, CALL, path=path))

    assert verbs(root) == ["Say", "Hangup"]
    assert "변경" in root[0].text
    assert "15:00" not in root[0].text


def test_it_rejects_an_unsigned_or_wrongly_signed_request(client, appointment):
    unsigned = client.post(script_path(appointment) + "gather/", data="Digits=2",
                           content_type="application/x-www-form-urlencoded")
    wrong = post_form(client, dict(CALL, Digits="2"), key="not-ours",
                      path=script_path(appointment) + "gather/")

    assert unsigned.status_code == wrong.status_code == 401
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_it_answers_405_to_a_method_clawops_does_not_fetch_with(client, appointment):
    response = client.put(script_path(appointment))

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_it_refuses_an_unsigned_get(client, appointment):
    # A number may fetch its VoiceML with GET (contract §2.3): signed like a POST.
    assert client.get(script_path(appointment)).status_code == 401
