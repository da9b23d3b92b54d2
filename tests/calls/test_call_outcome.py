"""The rules every workflow reads a call's outcome by: missed, connected, a person answered
(calls.models.Call, stated once)."""

from datetime import UTC, datetime

import pytest

from calls.models import Call
from calls.vocabulary import CallStatus, Direction

ANSWERED_AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def call(**fields) -> Call:
    fields.setdefault("direction", Direction.OUTBOUND)
    fields.setdefault("status", CallStatus.COMPLETED)
    return Call(call_id="CAoutcome", **fields)


@pytest.mark.parametrize(
    ("fields", "connected"),
    [({"duration": 31}, True),
     ({"duration": 31, "answered_at": ANSWERED_AT}, True),
     # Ended after 0 s: not connected, even after an answer event (product.md S1).
     ({"duration": 0, "answered_at": ANSWERED_AT}, False),
     ({"duration": 0}, False),
     # Duration not reported yet: the answer event decides.
     ({"status": CallStatus.IN_PROGRESS, "answered_at": ANSWERED_AT}, True),
     ({"status": CallStatus.RINGING}, False)],
)
def test_it_says_whether_the_call_connected(fields, connected):
    assert call(**fields).connected is connected


@pytest.mark.parametrize(
    ("answered_by", "person"),
    [("human", True), ("unknown", True), ("", True), ("machine", False),
     ("machine_end_beep", False)],
)
def test_it_says_whether_a_person_answered(answered_by, person):
    assert call(duration=31, answered_by=answered_by).person_answered is person
    assert call(duration=0, answered_by=answered_by).person_answered is False


@pytest.mark.parametrize(
    ("fields", "missed"),
    [({"direction": Direction.INBOUND, "status": CallStatus.NO_ANSWER}, True),
     ({"direction": Direction.INBOUND, "duration": 0}, True),
     ({"direction": Direction.INBOUND, "duration": 12}, False),
     ({"direction": Direction.OUTBOUND, "status": CallStatus.NO_ANSWER}, False)],
)
def test_it_says_whether_an_inbound_call_was_missed(fields, missed):
    assert call(**fields).is_missed is missed
