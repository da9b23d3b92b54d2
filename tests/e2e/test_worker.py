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

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from calls.models import Call, Summary, Transcript
from integrations.jobs import kinds, ledger
from integrations.models import Job, JobState
from tests.e2e import (
    ClawOpsApiReceiver,
    CrmReceiver,
    Receiver,
    Reply,
    SlackReceiver,
    Stack,
    base_environment,
    database_url,
    free_port,
    stays,
    wait_for,
)
from tests.helpers import fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the end-to-end tests run the worker on PostgreSQL"),
]

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


# --- fixtures ------------------------------------------------------------------------------


def _redis():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)


def _forget_redis_keys(cluster_name: str) -> None:
    client = _redis()
    keys = list(client.scan_iter(match=f"django_q:{cluster_name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="module", params=["orm", "redis"])
def broker(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        try:
            _redis().ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
            pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return str(request.param)


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    made = Receivers(
        slack=SlackReceiver("slack"),
        crm=CrmReceiver("crm", token=CRM_TOKEN),
        clawops=ClawOpsApiReceiver("clawops", ACCOUNT_ID, API_KEY, SEGMENTS, SUMMARY),
    )
    yield made
    for receiver in (made.slack, made.crm, made.clawops):
        receiver.close()


@pytest.fixture(scope="module")
def stack(broker: str, receivers: Receivers, django_db_setup: None,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web server, shared by the tests of one broker (it holds no state of its own
    between requests); the worker is per test. After django_db_setup, the connection's
    settings name pytest-django's test database."""
    cluster_name = f"clawsite-e2e-{RUN_ID}-{broker}"
    web_port = free_port()
    env = {
        **base_environment(),
        "DJANGO_SETTINGS_MODULE": "clawsite.settings",
        "DJANGO_SECRET_KEY": "e2e-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CLAWOPS_SIGNING_KEY": SIGNING_KEY,
        "CLAWOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "CLAWOPS_API_KEY": API_KEY,
        "CLAWOPS_ACCOUNT_ID": ACCOUNT_ID,
        "CLAWOPS_BASE_URL": receivers.clawops.url,
        "SLACK_WEBHOOK_URL": receivers.slack.webhook_url,
        "CRM_API_URL": receivers.crm.api_url,
        "CRM_API_TOKEN": CRM_TOKEN,
        # The first poll is due at once; the CRM record waits for the artifacts, not a clock.
        "ARTIFACT_POLL_DELAYS": "0,1,1",
        "CRM_MAX_WAIT_SECONDS": "3600",
        "JOB_RETRY_DELAYS": "1,1,1",
        "JOB_TIMEOUT_SECONDS": "10",
        "OUTBOUND_TIMEOUT_SECONDS": "5",
        "Q_CLUSTER_NAME": cluster_name,
        "Q_WORKERS": "2",
        "LOG_LEVEL": "INFO",
    }
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
    made = Stack(project_dir=Path(settings.BASE_DIR), env=env,
                 log_dir=tmp_path_factory.mktemp(f"e2e-{broker}"), web_port=web_port,
                 signing_key=SIGNING_KEY)
    try:
        made.start_web()
        yield made
    finally:
        made.stop()


@pytest.fixture
def world(transactional_db: None, broker: str, stack: Stack, receivers: Receivers,
          tmp_path: Path) -> Iterator[World]:
    """A clean slate for one test: empty receivers and queue, no worker running yet (each
    test decides when it starts). Depends on transactional_db so that the worker is gone
    before pytest-django empties the tables; the rows must be committed for the processes
    to see them, hence no test transaction."""
    cluster_name = stack.env["Q_CLUSTER_NAME"]
    for receiver in (receivers.slack, receivers.crm, receivers.clawops):
        receiver.reset()
    if broker == "redis":
        _forget_redis_keys(cluster_name)
    stack.new_worker(tmp_path / "worker.log")
    try:
        yield World(stack, receivers, broker, cluster_name)
    finally:
        stack.worker.stop()
        # Shown by pytest only when the test failed.
        print(stack.logs())
        if broker == "redis":
            _forget_redis_keys(cluster_name)


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


# --- a worker killed in the middle of a job ------------------------------------------------


def redeliver_what_the_dead_worker_took(world: World) -> None:
    """The ORM broker hands the message of a dead worker to another one once its lock
    (Q_CLUSTER "retry" seconds) lapses: let that time pass and wait until the live worker
    has consumed it. The Redis broker dropped the message when the dead worker popped it,
    so nothing comes back there."""
    if world.broker == "redis":
        assert _redis().llen(f"django_q:{world.cluster_name}:q") == 0
        return
    from django_q.models import OrmQ

    messages = OrmQ.objects.filter(key=world.cluster_name)
    assert messages.exists(), "the dead worker's message should still be locked"
    messages.update(lock=timezone.now() - timedelta(seconds=1))
    wait_for(lambda: not messages.exists(), "the live worker to consume the stale message")


def test_it_does_not_resend_a_slack_alert_whose_worker_died_while_sending(
        world: World) -> None:
    slack = world.receivers.slack
    held = slack.hold_next("POST", SlackReceiver.PATH)
    world.stack.start_worker()
    world.stack.post_form(MISSED_CALL)

    held.wait_arrived()
    world.stack.kill_worker()
    held.release()
    world.stack.start_worker()
    alert = job(kinds.SLACK_MISSED_CALL, "CAe2emiss01")
    assert alert.state == JobState.RUNNING and alert.sending_since is not None
    expire_lease(alert)

    assert_swept(world.stack.sweep(), requeued=0, unknown=1, enqueued=0)
    # Slack cannot dedupe: a message that may have arrived waits for a person.
    alert = job(kinds.SLACK_MISSED_CALL, "CAe2emiss01")
    assert alert.state == JobState.UNKNOWN
    assert "may have arrived" in alert.last_error
    redeliver_what_the_dead_worker_took(world)
    assert job(kinds.SLACK_MISSED_CALL, "CAe2emiss01").state == JobState.UNKNOWN
    stays(lambda: len(slack.requests()) == 1, "exactly one Slack request")


def test_it_resends_a_crm_record_under_the_same_key_after_the_worker_died_while_sending(
        world: World) -> None:
    crm = world.receivers.crm
    held = crm.hold_next("POST", CRM_PATH)
    world.stack.start_worker()
    post_connected_call(world)

    held.wait_arrived()
    world.stack.kill_worker()
    held.release()
    world.stack.start_worker()
    record = job(kinds.CRM_ACTIVITY, CONNECTED_CALL_ID)
    assert record.state == JobState.RUNNING and record.sending_since is not None
    expire_lease(record)

    assert_swept(world.stack.sweep(), requeued=1, unknown=0, enqueued=1)
    record = wait_for_job(kinds.CRM_ACTIVITY, CONNECTED_CALL_ID, JobState.DONE)
    redeliver_what_the_dead_worker_took(world)

    # The CRM dedupes on Idempotency-Key, so sending again was safe and stored nothing new.
    stays(lambda: len(crm.requests()) == 2, "the first request and one resend")
    assert {r.headers["idempotency-key"] for r in crm.requests()} == {
        f"clawsite-call-{CONNECTED_CALL_ID}"}
    assert all(r.json == expected_crm_body() for r in crm.requests())
    assert len(crm.activities) == 1
    assert (record.attempts, record.result["status"]) == (2, 200)


def test_it_fetches_again_and_sends_the_crm_record_once_after_the_worker_died_reading(
        world: World) -> None:
    clawops, crm = world.receivers.clawops, world.receivers.crm
    held = clawops.hold_next("GET", "/transcript")
    world.stack.start_worker()
    post_connected_call(world)

    held.wait_arrived()
    world.stack.kill_worker()
    held.release()
    world.stack.start_worker()
    fetch = job(kinds.FETCH_ARTIFACTS, CONNECTED_CALL_ID)
    # Reads only: the job never marked a request as leaving, so it is simply run again.
    assert fetch.state == JobState.RUNNING and fetch.sending_since is None
    expire_lease(fetch)

    assert_swept(world.stack.sweep(), requeued=1, unknown=0, enqueued=1)
    wait_for_job(kinds.CRM_ACTIVITY, CONNECTED_CALL_ID, JobState.DONE)
    redeliver_what_the_dead_worker_took(world)

    assert requests_in(clawops, "GET", TRANSCRIPT_PATH) == 2  # the lost one and the rerun
    assert requests_in(clawops, "GET", SUMMARY_PATH) == 1
    assert Transcript.objects.get(call__call_id=CONNECTED_CALL_ID).status == "completed"
    stays(lambda: len(crm.requests()) == 1, "exactly one CRM request")
    assert crm.requests()[0].json == expected_crm_body()
    assert len(crm.activities) == 1
    assert job(kinds.FETCH_ARTIFACTS, CONNECTED_CALL_ID).attempts == 2


# --- a lost queue message -----------------------------------------------------------------


def lose_queue_messages(world: World) -> None:
    """Drop what the broker holds for this cluster, as a broker restart or a lost write
    would; the job rows stay."""
    if world.broker == "redis":
        client, key = _redis(), f"django_q:{world.cluster_name}:q"
        assert client.llen(key) == 1
        client.delete(key)
    else:
        from django_q.models import OrmQ

        messages = OrmQ.objects.filter(key=world.cluster_name)
        assert messages.count() == 1
        messages.delete()


def test_it_runs_a_job_whose_queue_message_was_lost_exactly_once(world: World) -> None:
    slack = world.receivers.slack
    world.stack.post_form(MISSED_CALL)  # no worker yet: the message waits in the broker
    lose_queue_messages(world)

    world.stack.start_worker()
    world.stack.worker.wait_for_log("] running.")  # django-q: "Q Cluster … [queue] running."
    stays(lambda: not slack.requests(), "nothing sent without a queue message", seconds=1)
    alert = job(kinds.SLACK_MISSED_CALL, "CAe2emiss01")
    assert alert.state == JobState.PENDING
    # The sweeper takes a message older than this for lost; let that much time pass.
    Job.objects.filter(pk=alert.pk).update(
        enqueued_at=F("enqueued_at") - ledger.REENQUEUE_AFTER - timedelta(seconds=1))

    assert_swept(world.stack.sweep(), requeued=0, unknown=0, enqueued=1)
    alert = wait_for_job(kinds.SLACK_MISSED_CALL, "CAe2emiss01", JobState.DONE)
    assert_swept(world.stack.sweep(), requeued=0, unknown=0, enqueued=0)

    stays(lambda: len(slack.requests()) == 1, "exactly one Slack request")
    assert alert.attempts == 1
