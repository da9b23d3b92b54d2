"""End to end with real processes: a signed webhook posted to a running web server, a real
`manage.py qcluster` worker on PostgreSQL (ORM broker and Redis broker), and the exact HTTP
requests that reach local Slack, CRM and ClawOps API receivers — including a worker killed
in the middle of a job and started again (product.md §3 S1, S3; §5 rule 6).

The test process's own settings run tasks inline, so nothing here goes through the Django
test client: the web server and the worker are subprocesses with production settings
(clawsite.settings) pointed at pytest-django's test database, which is why every test uses
a transactional database (the processes must see committed rows).

Long waits are simulated, not sat out: the sweeper runs once on demand (`sweep_jobs`, which
the schedule runs every minute), and where the story needs a lease, the re-enqueue interval
or the ORM broker's redelivery lock to have lapsed, that one timestamp is moved back by as
much. Only the 1-second retry delay is waited for in real time.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from calls.models import Call, Summary, Transcript
from integrations.jobs import kinds
from integrations.models import Job, JobState
from tests.e2e.receivers import (
    Reply,
    SlackReceiver,
)
from tests.e2e.waiting import stays, wait_for
from tests.e2e.world import (
    API_KEY,
    CONNECTED_CALL_ID,
    CRM_PATH,
    CRM_TOKEN,
    MISSED_CALL,
    SEGMENTS,
    SUMMARY,
    SUMMARY_PATH,
    TRANSCRIPT_PATH,
    World,
    assert_swept,
    expected_crm_body,
    job,
    post_connected_call,
    requests_in,
    wait_for_job,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the end-to-end tests run the worker on PostgreSQL"),
]


# --- S1: missed call → one Slack message --------------------------------------------------


def test_it_posts_one_slack_alert_for_a_missed_call_sent_twice(world: World) -> None:
    slack = world.receivers.slack
    world.stack.start_worker()

    world.stack.post_form(MISSED_CALL)
    alert = wait_for_job(kinds.SLACK_MISSED_CALL, "CAe2emiss01", JobState.DONE)
    world.stack.post_form(MISSED_CALL)  # ClawOps delivers again

    stays(lambda: requests_in(slack, "POST", SlackReceiver.PATH) == 1,
          "exactly one Slack request")
    assert len(slack.requests()) == 1
    request = slack.requests()[0]
    assert request.headers["content-type"] == "application/json"
    message = request.json
    assert "010-5555-1234" in message["text"] and "콜백 필요" in message["text"]
    assert message["blocks"][0]["text"]["text"] == "📞 부재중 전화 — 콜백 필요"
    fields = [field["text"] for field in message["blocks"][1]["fields"]]
    assert "*발신 번호*\n010-5555-1234" in fields
    assert "*통화 시각*\n11월 26일(목) 09:15" in fields  # 00:15 UTC in Asia/Seoul
    call = Call.objects.get(call_id="CAe2emiss01")
    button = message["blocks"][2]["elements"][0]
    assert button["url"] == f"{world.stack.web_url}/admin/calls/call/{call.pk}/change/"
    assert Job.objects.count() == 1
    assert (alert.attempts, alert.result) == (1, {"calls_reported": 1})


# --- S3: finished call → transcript and summary → one CRM record -------------------------


def test_it_fetches_transcript_and_summary_and_sends_one_crm_record(world: World) -> None:
    clawops, crm = world.receivers.clawops, world.receivers.crm
    world.stack.start_worker()

    post_connected_call(world)
    record = wait_for_job(kinds.CRM_ACTIVITY, CONNECTED_CALL_ID, JobState.DONE)

    assert [(r.method, r.path) for r in clawops.requests()] == [
        ("GET", TRANSCRIPT_PATH), ("GET", SUMMARY_PATH)]
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in clawops.requests())
    transcript = Transcript.objects.get(call__call_id=CONNECTED_CALL_ID)
    assert (transcript.status, [s["text"] for s in transcript.segments]) == (
        "completed", [s["text"] for s in SEGMENTS])
    assert Summary.objects.get(call__call_id=CONNECTED_CALL_ID).result_json == SUMMARY
    assert job(kinds.FETCH_ARTIFACTS, CONNECTED_CALL_ID).state == JobState.DONE

    stays(lambda: len(crm.requests()) == 1, "exactly one CRM request")
    request = crm.requests()[0]
    assert (request.method, request.path) == ("POST", CRM_PATH)
    assert request.headers["authorization"] == f"Bearer {CRM_TOKEN}"
    assert request.headers["idempotency-key"] == f"clawsite-call-{CONNECTED_CALL_ID}"
    assert request.json == expected_crm_body()
    assert len(crm.activities) == 1
    assert (record.attempts, record.result["status"]) == (1, 201)


# --- a transient failure, retried -----------------------------------------------------


def test_it_retries_a_slack_alert_after_a_transient_failure_when_it_falls_due(
        world: World) -> None:
    slack = world.receivers.slack
    slack.reply_next(Reply(503, "service unavailable"))
    world.stack.start_worker()
    world.stack.post_form(MISSED_CALL)

    def failed_once() -> Job | None:
        row = job(kinds.SLACK_MISSED_CALL, "CAe2emiss01")
        return row if (row.state, row.attempts) == (JobState.PENDING, 1) else None

    alert = wait_for(failed_once, "the first attempt to fail")
    assert alert.last_error.startswith("Slack answered 503")
    # JOB_RETRY_DELAYS starts at 1 s: real time, short enough to wait out.
    wait_for(lambda: timezone.now() > alert.next_attempt_at, "the retry to fall due")

    assert_swept(world.stack.sweep(), requeued=0, unknown=0, enqueued=1)
    alert = wait_for_job(kinds.SLACK_MISSED_CALL, "CAe2emiss01", JobState.DONE)

    stays(lambda: len(slack.requests()) == 2, "the failed request and one retry")
    first, second = slack.requests()
    assert first.json == second.json
    assert (alert.attempts, alert.last_error) == (2, "")
