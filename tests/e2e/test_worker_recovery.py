"""End to end with real processes, when things go wrong: a worker killed in the middle of
a job and started again, a queue message lost (product.md §5 rule 6). See test_worker.py
for how these tests run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from calls.models import Transcript
from integrations.jobs import kinds, wakeups
from integrations.models import Job, JobState, JobWakeup
from tests.e2e.receivers import (
    SlackReceiver,
)
from tests.e2e.waiting import stays, wait_for
from tests.e2e.world import (
    CONNECTED_CALL_ID,
    CRM_PATH,
    MISSED_CALL,
    SUMMARY_PATH,
    TRANSCRIPT_PATH,
    World,
    assert_swept,
    expected_crm_body,
    expire_lease,
    job,
    post_connected_call,
    redis_client,
    requests_in,
    wait_for_job,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the end-to-end tests run the worker on PostgreSQL"),
]


# --- a worker killed in the middle of a job ------------------------------------------------


def redeliver_what_the_dead_worker_took(world: World) -> None:
    """The ORM broker hands the message of a dead worker to another one once its lock
    (Q_CLUSTER "retry" seconds) lapses: let that time pass and wait until the live worker
    has consumed it. The Redis broker dropped the message when the dead worker popped it,
    so nothing comes back there."""
    if world.broker == "redis":
        assert redis_client().llen(f"django_q:{world.cluster_name}:q") == 0
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

    # (Whether it sends a wake-up depends on one being on its way already.)
    assert_swept(world.stack.sweep(), requeued=1, unknown=0)
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

    assert_swept(world.stack.sweep(), requeued=1, unknown=0)
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
        client, key = redis_client(), f"django_q:{world.cluster_name}:q"
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
    # The sweeper takes a wake-up older than this for lost; let that much time pass.
    JobWakeup.objects.update(
        sent_at=F("sent_at") - wakeups.REENQUEUE_AFTER - timedelta(seconds=1))

    assert_swept(world.stack.sweep(), requeued=0, unknown=0, enqueued=1)
    alert = wait_for_job(kinds.SLACK_MISSED_CALL, "CAe2emiss01", JobState.DONE)
    assert_swept(world.stack.sweep(), requeued=0, unknown=0, enqueued=0)

    stays(lambda: len(slack.requests()) == 1, "exactly one Slack request")
    assert alert.attempts == 1


# --- a batch cut short --------------------------------------------------------------------


def alert_link(request) -> str:
    """The admin link of the call an alert is about: one per job."""
    return request.json["blocks"][2]["elements"][0]["url"]


def test_it_sends_no_alert_twice_when_a_batch_worker_is_killed_mid_way(world: World) -> None:
    slack = world.receivers.slack
    slack.delay_seconds = 0.1  # a batch takes long enough to be cut in the middle
    alerts = 60
    for n in range(alerts):
        world.stack.post_form({**MISSED_CALL, "CallId": f"CAe2ebatch{n:02d}",
                               "From": f"010-7777-{n:04d}"})
    world.stack.start_worker()

    wait_for(lambda: len(slack.requests()) >= 8, "the first alerts to be sent", interval=0.02)
    world.stack.kill_worker()
    slack.delay_seconds = 0.0
    rows = Job.objects.filter(kind=kinds.SLACK_MISSED_CALL)
    assert rows.count() == alerts
    # Cut mid-way: some requests were out (may have arrived), some never started.
    assert rows.filter(state=JobState.RUNNING, sending_since__isnull=False).exists()
    assert rows.filter(state=JobState.RUNNING, sending_since__isnull=True).exists()
    rows.filter(state=JobState.RUNNING).update(lease_until=timezone.now() - timedelta(seconds=1))

    world.stack.start_worker()
    swept = world.stack.sweep()
    assert swept["unknown"] >= 1 and swept["requeued"] >= 1, swept
    wait_for(lambda: not rows.exclude(state__in=[JobState.DONE, JobState.UNKNOWN]).exists(),
             "every alert to be done or left for staff")
    redeliver_what_the_dead_worker_took(world)
    stays(lambda: len(slack.requests()) == alerts, "one request per alert, nothing more")

    links = [alert_link(request) for request in slack.requests()]
    assert len(set(links)) == alerts  # every alert went out, none twice
    # Those left for staff are exactly ones whose request was out when the worker died.
    assert rows.filter(state=JobState.UNKNOWN).count() == swept["unknown"]
    assert rows.filter(state=JobState.DONE).count() == alerts - swept["unknown"]
