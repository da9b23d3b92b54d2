"""/api/v1/calls/: a clinic's calls for CRMs that pull, with summary and transcript when
they are ready; never another clinic's calls."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from calls.models import ArtifactStatus, Call, Summary, Transcript
from tests.integrations.api.api_client import Api, assert_problem, clinic_with_key

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
PATH = "/api/v1/calls/"


def call(call_id: str, *, hour: int, from_number: str, to_number: str,
         direction: str = "inbound", status: str = "completed", duration: int | None = 42
         ) -> Call:
    started = datetime(2026, 11, 30, hour, 0, tzinfo=SEOUL)
    return Call.objects.create(call_id=call_id, direction=direction, status=status,
                               from_number=from_number, to_number=to_number,
                               started_at=started, answered_at=started, ended_at=started,
                               duration=duration)


KEYS: dict[str, str] = {}


@pytest.fixture(autouse=True)
def clinics():
    KEYS["gangnam"] = clinic_with_key()[1]
    KEYS["seocho"] = clinic_with_key("서초바른이비인후과", from_number="07011112222",
                                     phone="0233334444")[1]
    call("CAin", hour=9, from_number="01055551234", to_number="07052351234")
    call("CAout", hour=10, from_number="07052351234", to_number="01055551234",
         direction="outbound")
    call("CAdesk", hour=11, from_number="01066667777", to_number="0212345678",
         status="no-answer", duration=None)
    call("CAseocho", hour=12, from_number="01055551234", to_number="07011112222")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["call_id"] for row in response.json()["results"]]


def test_it_lists_the_calls_of_the_clinic_s_numbers_oldest_first():
    assert ids(Api(KEYS["gangnam"]).get(PATH)) == ["CAin", "CAout", "CAdesk"]
    assert ids(Api(KEYS["seocho"]).get(PATH)) == ["CAseocho"]


def test_it_lists_calls_since_a_time():
    response = Api(KEYS["gangnam"]).get(PATH, {"since": "2026-11-30T10:00:00+09:00"})
    assert ids(response) == ["CAout", "CAdesk"]


@pytest.mark.parametrize("since", ["yesterday", "2026-11-30", "2026-11-30T10:00:00"])
def test_it_answers_400_for_a_since_that_is_not_a_time_with_an_offset(since):
    problem = assert_problem(Api(KEYS["gangnam"]).get(PATH, {"since": since}), 400)
    assert list(problem["errors"]) == ["since"]


def test_a_call_shows_its_parties_status_and_missed_flag():
    body = Api(KEYS["gangnam"]).get(f"{PATH}CAdesk/").json()

    assert body == {
        "call_id": "CAdesk", "direction": "inbound", "status": "no-answer",
        "from_number": "01066667777", "to_number": "0212345678",
        "started_at": "2026-11-30T11:00:00+09:00", "answered_at": "2026-11-30T11:00:00+09:00",
        "ended_at": "2026-11-30T11:00:00+09:00", "duration": None, "missed": True,
        "summary": None, "transcript": None,
    }


def test_summary_and_transcript_show_once_they_are_ready():
    connected = Call.objects.get(call_id="CAin")
    Transcript.objects.create(call=connected, status=ArtifactStatus.COMPLETED, segments=[
        {"speaker": "speaker_0", "start": 0.0, "end": 2.5, "text": "네, 강남연세치과입니다."}])
    Summary.objects.create(call=connected, status=ArtifactStatus.PENDING)
    api = Api(KEYS["gangnam"])

    body = api.get(f"{PATH}CAin/").json()
    assert body["transcript"] == [
        {"speaker": "speaker_0", "start": 0.0, "end": 2.5, "text": "네, 강남연세치과입니다."}]
    assert body["summary"] is None  # still pending

    Summary.objects.filter(call=connected).update(
        status=ArtifactStatus.COMPLETED, result_json={"coreSummary": "내일 예약 확인"})
    assert api.get(f"{PATH}CAin/").json()["summary"] == {
        "text": "내일 예약 확인", "result": {"coreSummary": "내일 예약 확인"}}


def test_a_key_never_reads_another_clinic_s_call():
    assert_problem(Api(KEYS["gangnam"]).get(f"{PATH}CAseocho/"), 404)
    assert_problem(Api(KEYS["seocho"]).get(f"{PATH}CAdesk/"), 404)


def test_calls_need_a_key():
    assert_problem(Api(None).get(PATH), 401)
    assert_problem(Api("csk_wrong").get(f"{PATH}CAin/"), 401)
