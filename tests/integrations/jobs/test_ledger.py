"""The ledger: atomic claims, retries with backoff, permanent stops, the sweeper."""

import socket
import threading
from datetime import timedelta

import django_q.tasks
import httpx
import pytest
import respx
from django.db import connection
from django.utils import timezone

from integrations.jobs import kinds, ledger, wakeups
from integrations.models import Job, JobState, JobWakeup
from tests.helpers import in_parallel, post_form

pytestmark = pytest.mark.django_db
SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"


@pytest.fixture
def alert_job(client) -> Job:
    post_form(client, {"CallId": "CAmiss", "CallStatus": "busy", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234"})
    return Job.objects.get(kind=kinds.SLACK_MISSED_CALL)


def reload(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


@respx.mock
@pytest.mark.parametrize(
    ("answer", "wait"),
    [(httpx.Response(500, text="oops"), 30),
     (httpx.Response(503), 30),
     (httpx.Response(429, headers={"Retry-After": "90"}, text="slow down"), 90),
     (httpx.ConnectError("refused"), 30),
     (httpx.ReadTimeout("slow"), 30),
     (httpx.RemoteProtocolError("Server disconnected without sending a response."), 30),
     (httpx.ReadError("Connection reset by peer"), 30)],
    ids=["500", "503", "429 Retry-After", "connection error", "timeout",
         "closed without an answer", "reset while reading"],
)
def test_it_retries_transient_failures_on_the_backoff_schedule(alert_job, answer, wait):
    respx.post(SLACK).mock(side_effect=[answer] if isinstance(answer, Exception) else None,
                           return_value=None if isinstance(answer, Exception) else answer)
    before = timezone.now()

    state = ledger.run(alert_job.pk)

    job = reload(alert_job)
    if isinstance(answer, httpx.ReadTimeout | httpx.RemoteProtocolError | httpx.ReadError):
        # Slack may have posted it: a blind resend could double the alert.
        assert state == job.state == JobState.UNKNOWN
        assert "may have arrived" in job.last_error
        return
    assert state == job.state == JobState.PENDING
    assert job.attempts == 1
    assert before + timedelta(seconds=wait) <= job.next_attempt_at
    assert job.next_attempt_at <= timezone.now() + timedelta(seconds=wait)
    assert "Slack" in job.last_error
    assert "XXXX" not in job.last_error  # the webhook URL is a secret


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [httpx.Response(404, text="no_service"), httpx.Response(403, text="invalid_token"),
     httpx.Response(400, text="invalid_payload")],
    ids=["404", "invalid_token", "400"],
)
def test_it_stops_at_once_on_permanent_failures(alert_job, answer):
    respx.post(SLACK).mock(return_value=answer)

    assert ledger.run(alert_job.pk) == JobState.FAILED

    job = reload(alert_job)
    assert job.attempts == 1
    assert answer.text in job.last_error


@respx.mock
def test_it_gives_up_after_the_last_retry(alert_job, settings):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(502))
    for _ in range(len(settings.JOB_RETRY_DELAYS) + 1):
        Job.objects.filter(pk=alert_job.pk).update(next_attempt_at=timezone.now())
        ledger.run(alert_job.pk)

    job = reload(alert_job)
    assert job.state == JobState.FAILED
    assert job.last_error.startswith("gave up after 4 attempts")
    assert slack.call_count == 4


@respx.mock
def test_it_does_not_run_a_job_before_it_is_due_or_after_it_is_done(alert_job):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200))
    Job.objects.filter(pk=alert_job.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    assert ledger.run(alert_job.pk) == "not claimed"

    Job.objects.filter(pk=alert_job.pk).update(next_attempt_at=timezone.now())
    assert ledger.run(alert_job.pk) == JobState.DONE
    assert ledger.run(alert_job.pk) == "not claimed"
    assert slack.call_count == 1


def test_it_lets_only_one_of_two_claims_win(alert_job):
    assert ledger.claim(alert_job.pk) is not None
    assert ledger.claim(alert_job.pk) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_ten_parallel_claims_win(client):
    post_form(client, {"CallId": "CAx", "CallStatus": "busy", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234"})
    job = Job.objects.get()
    # The commit ran it once inline (sync queue in tests) and it was rescheduled; due again:
    Job.objects.filter(pk=job.pk).update(state=JobState.PENDING, attempts=0,
                                         next_attempt_at=timezone.now())
    wins = in_parallel(10, lambda: ledger.claim(job.pk) is not None)
    assert sorted(wins) == [False] * 9 + [True]
    assert reload(job).attempts == 1


@respx.mock
def test_it_records_nothing_for_a_worker_that_lost_its_claim(alert_job):
    respx.post(SLACK).mock(return_value=httpx.Response(200))
    job = ledger.claim(alert_job.pk)
    # The sweeper took the job back (lease lapsed) and another worker claimed it.
    Job.objects.filter(pk=job.pk).update(state=JobState.PENDING, next_attempt_at=timezone.now())
    assert ledger.claim(job.pk) is not None

    ledger.record(job, ledger.Verdict(JobState.FAILED, error="stale worker"))

    assert reload(job).state == JobState.RUNNING


def test_the_sweeper_wakes_a_worker_when_jobs_are_due(alert_job, monkeypatch):
    sent = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kw: sent.append(args))

    report = ledger.sweep()

    assert sent == [(wakeups.RUN_DUE_TASK,)]
    assert report["enqueued"] == 1
    assert JobWakeup.objects.get().sent_at is not None


def test_the_sweeper_leaves_a_waiting_wake_up_and_future_rows_alone(alert_job, monkeypatch):
    sent = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kw: sent.append(args))
    monkeypatch.setattr(wakeups, "_broker_holds_messages", lambda: True)
    JobWakeup.objects.create(pk=1, sent_at=timezone.now())
    assert ledger.sweep()["enqueued"] == 0
    JobWakeup.objects.update(sent_at=None)
    Job.objects.filter(pk=alert_job.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert ledger.sweep()["enqueued"] == 0
    assert sent == []


def test_the_sweeper_takes_a_wake_up_the_broker_no_longer_holds_for_lost(
        alert_job, monkeypatch):
    sent = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kw: sent.append(args))
    JobWakeup.objects.create(pk=1, sent_at=timezone.now())  # the ORM broker holds nothing

    assert ledger.sweep()["enqueued"] == 1
    assert sent == [(wakeups.RUN_DUE_TASK,)]


def test_the_sweeper_takes_a_wake_up_not_taken_up_in_time_for_lost(alert_job, monkeypatch):
    sent = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kw: sent.append(args))
    monkeypatch.setattr(wakeups, "_broker_holds_messages", lambda: True)
    JobWakeup.objects.create(
        pk=1, sent_at=timezone.now() - wakeups.REENQUEUE_AFTER - timedelta(seconds=1))

    assert ledger.sweep()["enqueued"] == 1
    assert sent == [(wakeups.RUN_DUE_TASK,)]


def test_the_sweeper_reruns_a_job_whose_worker_died_before_sending(alert_job, monkeypatch):
    monkeypatch.setattr(wakeups, "wake", lambda **kw: False)
    ledger.claim(alert_job.pk)
    Job.objects.filter(pk=alert_job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert ledger.sweep()["requeued"] == 1
    job = reload(alert_job)
    assert job.state == JobState.PENDING
    assert "stopped before finishing" in job.last_error


def test_the_sweeper_never_resends_an_alert_whose_worker_died_while_sending(alert_job):
    job = ledger.claim(alert_job.pk)
    ledger.mark_sending(job)
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert ledger.sweep()["unknown"] == 1
    assert reload(job).state == JobState.UNKNOWN


def test_the_sweeper_resends_to_a_receiver_that_dedupes(alert_job):
    crm = ledger.add(kinds.CRM_ACTIVITY, "CAmiss", call_id=alert_job.call_id)
    crm_job = ledger.claim(crm.pk)
    ledger.mark_sending(crm_job)
    Job.objects.filter(pk=crm.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    ledger.sweep()

    assert reload(crm).state == JobState.PENDING


def test_it_adds_one_job_per_kind_and_subject(alert_job):
    assert ledger.add(kinds.SLACK_MISSED_CALL, alert_job.subject) is None
    assert Job.objects.count() == 1


@respx.mock
def test_retry_now_makes_a_failed_job_due_with_a_fresh_schedule(alert_job):
    respx.post(SLACK).mock(side_effect=[httpx.Response(404), httpx.Response(200)])
    ledger.run(alert_job.pk)
    assert reload(alert_job).state == JobState.FAILED

    assert ledger.reopen(reload(alert_job), reset_attempts=True)
    assert ledger.run(alert_job.pk) == JobState.DONE
    assert reload(alert_job).attempts == 1


@respx.mock
def test_a_job_that_fails_forever_does_not_block_others(client, settings):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(500))
    for n in range(3):
        post_form(client, {"CallId": f"CA{n}", "CallStatus": "busy", "Direction": "inbound",
                           "From": f"0105555000{n}", "To": "07052351234"})
    ledger.add("unknown.kind", "x")

    for job in Job.objects.all():
        ledger.run(job.pk)

    assert slack.call_count == 3
    assert Job.objects.get(kind="unknown.kind").state == JobState.FAILED
    assert Job.objects.filter(state=JobState.PENDING).count() == 3


def test_it_posts_once_when_the_receiver_drops_the_connection_after_reading_it(
        alert_job, settings):
    """A receiver that takes the whole request, acts on it, and closes the connection
    without answering (a crash, a proxy reset): the alert went out, so it is never resent."""
    received: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed by the test
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += conn.recv(65536)
                received.append(body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.SLACK_WEBHOOK_URL = f"http://127.0.0.1:{server.getsockname()[1]}/services/X"
    try:
        assert ledger.run(alert_job.pk) == JobState.UNKNOWN
        Job.objects.filter(pk=alert_job.pk).update(lease_until=timezone.now())
        ledger.sweep()
        assert ledger.run(alert_job.pk) == "not claimed"
    finally:
        server.close()
        thread.join(timeout=5)

    assert len(received) == 1
    job = reload(alert_job)
    assert job.state == JobState.UNKNOWN
    assert "connection broke" in job.last_error
