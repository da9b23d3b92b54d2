"""What the end-to-end worker tests share: the numbers and payloads of their stories, the
world a test runs in, and how a test reads and moves the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from integrations.models import Job
from tests.e2e.receivers import (
    ClawOpsApiReceiver,
    CrmReceiver,
    Receiver,
    SlackReceiver,
)
from tests.e2e.stack import Stack
from tests.e2e.waiting import wait_for
from tests.helpers import fixture

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own; only our keys are touched
RUN_ID = uuid.uuid4().hex[:8]

SIGNING_KEY = "sk_sign_e2e"
CRM_TOKEN = "crm-e2e-token"
API_KEY = "sk_e2e_key"
ACCOUNT_ID = "AC_e2e"
SEGMENTS = [
    {"speaker": "speaker_0", "start": 0.0, "end": 2.5, "text": "네, 강남연세치과입니다."},
    {"speaker": "speaker_1", "start": 2.6, "end": 5.0, "text": "내일 예약 확인하려고요."},
]
SUMMARY = {"coreSummary": "내일 오전 10시 예약 확인", "decisions": [], "followUps": [],
           "sentiment": "positive"}

MISSED_CALL = {"CallId": "CAe2emiss01", "CallStatus": "no-answer", "Direction": "inbound",
               "From": "010-5555-1234", "To": "07052351234",
               "Timestamp": "2026-11-26T00:15:02Z"}
CONNECTED_CALL_ID = "CA7e1f2a"  # tests/fixtures/status_answered.json, status_completed.json
TRANSCRIPT_PATH = f"/v1/accounts/{ACCOUNT_ID}/calls/{CONNECTED_CALL_ID}/transcript"
SUMMARY_PATH = f"/v1/accounts/{ACCOUNT_ID}/calls/{CONNECTED_CALL_ID}/summary"
CRM_PATH = "/crm/activities"


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)


@dataclass
class Receivers:
    slack: SlackReceiver
    crm: CrmReceiver
    clawops: ClawOpsApiReceiver


@dataclass
class World:
    stack: Stack
    receivers: Receivers
    broker: str
    cluster_name: str


# --- reading and moving the ledger ---------------------------------------------------------


def job(kind: str, subject: str) -> Job:
    return Job.objects.get(kind=kind, subject=subject)


def wait_for_job(kind: str, subject: str, *states: str) -> Job:
    def reached() -> Job | None:
        row = Job.objects.filter(kind=kind, subject=subject).first()
        return row if row is not None and row.state in states else None

    return wait_for(reached, f"job {kind} {subject} to reach {'/'.join(states)}")


def expire_lease(row: Job) -> None:
    """What waiting out the lease would do: the claim of the dead worker lapses."""
    Job.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))


def assert_swept(report: dict[str, int], **expected: int) -> None:
    """The sweeper's report, for the counts this test is about."""
    assert {name: report.get(name) for name in expected} == expected, report


def requests_in(receiver: Receiver, method: str, path: str) -> int:
    return len(receiver.requests(method, path))


def post_connected_call(world: World) -> None:
    for name in ("status_answered", "status_completed"):
        world.stack.post_form(fixture(name))


def expected_crm_body() -> dict[str, object]:
    return {
        "type": "call",
        "phone": "01055551234",
        "duration": 120,
        "summary": "내일 오전 10시 예약 확인",
        "transcript": "[speaker_0] 네, 강남연세치과입니다.\n[speaker_1] 내일 예약 확인하려고요.",
        "call_id": CONNECTED_CALL_ID,
    }
