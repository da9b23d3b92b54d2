"""Batches: one statement claims many due jobs, threads run them, outcomes are written in
bulk — with every guarantee of a single run (atomic claims, per-kind isolation, backoff,
the unknown state, one post per alert)."""

import json
import threading
import time
from datetime import timedelta

import httpx
import pytest
import respx
from django.db import connection
from django.utils import timezone

from calls.models import Call
from integrations.jobs import batches, claims, kinds, ledger, wakeups
from integrations.jobs.crew import Crew
from integrations.models import Job, JobState
from tests.helpers import in_parallel

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
]
SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"
CRM = "https://crm.test/api/activities"


@pytest.fixture(autouse=True)
def _threads(settings):
    """Run handlers on threads as a real worker does (the suite's settings run tasks inline)."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    settings.JOB_THREADS = 8


@pytest.fixture
def no_second_worker(monkeypatch):
    """A full batch wakes another worker to share the rest, which the suite's django-q (sync)
    would run inside this one's claim: here one worker claims every batch."""
    monkeypatch.setattr(wakeups, "wake", lambda **kwargs: False)


def missed_calls(count: int, *, kind: str = kinds.SLACK_MISSED_CALL) -> list[Job]:
    """Due jobs of one kind, each about a call of its own (added without waking anyone)."""
    now = timezone.now()
    calls = Call.objects.bulk_create(
        Call(call_id=f"CAbatch{kind[:5]}{n}", direction="inbound", status="no-answer",
             from_number=f"0105555{n:04d}", to_number="07052351234", started_at=now)
        for n in range(count)
    )
    return Job.objects.bulk_create(
        Job(kind=kind, subject=call.call_id, call=call, next_attempt_at=now) for call in calls
    )


def posted_call_links(route: respx.Route) -> list[str]:
    """The admin link in each Slack message sent: one per call."""
    return [json.loads(call.request.content)["blocks"][2]["elements"][0]["url"]
            for call in route.calls]


def test_it_claims_each_due_job_once_across_parallel_claimers():
    jobs = missed_calls(120)
    Job.objects.filter(pk=jobs[0].pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    claimed = in_parallel(4, lambda: [job.pk for job in claims.claim_batch(50).jobs])

    assert all(len(batch) <= 50 for batch in claimed)
    everything = [pk for batch in claimed for pk in batch]
    assert len(everything) == len(set(everything)) == 119
    assert jobs[0].pk not in everything
    assert Job.objects.filter(state=JobState.RUNNING, attempts=1).count() == 119
    assert not Job.objects.filter(state=JobState.RUNNING, lease_until__isnull=True).exists()


@respx.mock
def test_it_runs_every_due_job_once_on_threads_and_records_them_in_bulk(no_second_worker):
    missed_calls(150)  # a batch of 100 and one of 50, both claimed by this worker
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow_slack(request):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)
        with lock:
            in_flight[0] -= 1
        return httpx.Response(200, text="ok")

    slack = respx.post(SLACK).mock(side_effect=slow_slack)

    assert batches.run_due() == {JobState.DONE: 150}

    links = posted_call_links(slack)
    assert len(links) == len(set(links)) == 150
    assert most[0] > 1  # the requests overlapped
    assert Job.objects.filter(state=JobState.DONE, attempts=1, lease_until__isnull=True,
                              sending_since__isnull=True).count() == 150


@respx.mock
def test_a_failing_receiver_holds_back_only_its_own_kind(settings):
    settings.JOB_THREADS = 2  # one thread per kind: the order of events is fixed
    slack_jobs = missed_calls(20)
    crm_jobs = missed_calls(20, kind=kinds.CRM_ACTIVITY)
    slack = respx.post(SLACK).mock(return_value=httpx.Response(503))
    crm = respx.post(CRM).mock(return_value=httpx.Response(201, json={"id": "act"}))
    before = timezone.now()

    batches.run_due()

    assert crm.call_count == 20
    assert Job.objects.filter(pk__in=[j.pk for j in crm_jobs], state=JobState.DONE).count() == 20
    # Slack failed once; its other jobs were handed back unspent and wait as long as the
    # failed one, instead of each meeting the outage.
    assert slack.call_count == 1
    rows = Job.objects.filter(pk__in=[j.pk for j in slack_jobs])
    assert {row.state for row in rows} == {JobState.PENDING}
    assert sorted(row.attempts for row in rows) == [0] * 19 + [1]
    wait = timedelta(seconds=settings.JOB_RETRY_DELAYS[0])
    assert all(row.next_attempt_at >= before + wait for row in rows)


@respx.mock
def test_it_hands_back_unstarted_jobs_when_its_time_is_up(settings, no_second_worker):
    jobs = missed_calls(10)
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200))
    claimed = claims.claim_batch(10).jobs

    crew = Crew(2, start_until=time.monotonic())
    crew.claiming = False  # these ten are all there is (no fresh task is woken to go on)
    try:
        crew.add(claimed)
        batches.work_through(crew)
    finally:
        crew.stop()

    assert slack.call_count == 0
    rows = Job.objects.filter(pk__in=[j.pk for j in jobs])
    assert {(row.state, row.attempts, row.lease_until) for row in rows} == {
        (JobState.PENDING, 0, None)}
    assert all(row.next_attempt_at <= timezone.now() for row in rows)


@respx.mock
def test_an_alert_whose_connection_broke_mid_batch_is_never_resent():
    jobs = missed_calls(30)
    broken = jobs[7].call.call_id

    def slack_answer(request):
        if json.loads(request.content)["blocks"][2]["elements"][0]["url"].endswith(
                f"/{jobs[7].call_id}/change/"):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, text="ok")

    slack = respx.post(SLACK).mock(side_effect=slack_answer)

    batches.run_due()
    Job.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    ledger.sweep()
    batches.run_due()

    assert slack.call_count == 30
    assert Job.objects.get(subject=broken).state == JobState.UNKNOWN
    assert Job.objects.filter(state=JobState.DONE).count() == 29


def test_a_worker_that_lost_its_claims_records_nothing_for_them():
    jobs = missed_calls(3)
    claimed = claims.claim_batch(3).jobs
    # The sweeper took the jobs back (lease lapsed) and another worker claimed them.
    Job.objects.update(state=JobState.PENDING, next_attempt_at=timezone.now())
    assert len(claims.claim_batch(3).jobs) == 3

    written = ledger.record_many([(job, ledger.Verdict(JobState.FAILED, error="stale"))
                                  for job in claimed])

    assert written == 0
    assert {row.state for row in Job.objects.filter(pk__in=[j.pk for j in jobs])} == {
        JobState.RUNNING}


class HeldReceiver:
    """A receiver that holds every request until released, counting how many it holds."""

    def __init__(self, answer: httpx.Response) -> None:
        self.answer = answer
        self.release = threading.Event()
        self.held = self.most_held = 0
        self._lock = threading.Lock()

    def __call__(self, request):
        with self._lock:
            self.held += 1
            self.most_held = max(self.most_held, self.held)
        self.release.wait(timeout=30)
        with self._lock:
            self.held -= 1
        return self.answer


def until(condition, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def run_due_in_background() -> threading.Thread:
    def run():
        try:
            batches.run_due()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@respx.mock
def test_it_claims_the_next_batch_while_the_crew_still_has_work(settings, no_second_worker):
    settings.JOB_BATCH_SIZE = 10
    jobs = missed_calls(40)
    slack = HeldReceiver(httpx.Response(200, text="ok"))
    route = respx.post(SLACK).mock(side_effect=slack)
    rows = Job.objects.filter(pk__in=[job.pk for job in jobs])

    worker = run_due_in_background()
    try:
        until(lambda: slack.held == 4, "half the threads to hold an alert each")
        # Four alerts out, sixteen waiting: a second batch was claimed before any ended,
        # and no third (twice the crew's eight threads are waiting).
        until(lambda: rows.filter(state=JobState.RUNNING).count() == 20, "a second batch")
        time.sleep(0.2)
        assert rows.filter(state=JobState.RUNNING).count() == 20
        assert rows.filter(state=JobState.PENDING, attempts=0).count() == 20
    finally:
        slack.release.set()
        worker.join(timeout=60)

    assert slack.most_held == 4
    assert len(set(posted_call_links(route))) == route.call_count == 40
    assert rows.filter(state=JobState.DONE, attempts=1).count() == 40


@respx.mock
def test_a_receiver_that_hangs_holds_half_the_threads_and_the_other_kind_goes_on():
    alerts = missed_calls(12)
    records = missed_calls(30, kind=kinds.CRM_ACTIVITY)
    slack = HeldReceiver(httpx.Response(200, text="ok"))
    respx.post(SLACK).mock(side_effect=slack)
    crm = respx.post(CRM).mock(return_value=httpx.Response(201, json={"id": "act"}))
    crm_rows = Job.objects.filter(pk__in=[job.pk for job in records])

    worker = run_due_in_background()
    try:
        until(lambda: crm_rows.filter(state=JobState.DONE).count() == 30,
              "every CRM record while Slack hangs")
        assert slack.held == 4  # half of the eight threads, never more
    finally:
        slack.release.set()
        worker.join(timeout=60)

    assert slack.most_held == 4
    assert crm.call_count == 30
    assert Job.objects.filter(pk__in=[job.pk for job in alerts], state=JobState.DONE,
                              attempts=1).count() == 12


@respx.mock
def test_when_its_time_is_up_it_waits_for_the_running_jobs_without_spinning(
        monkeypatch, no_second_worker):
    missed_calls(200)  # more than the crew takes in: it is still claiming when time is up
    receiver = HeldReceiver(httpx.Response(200, text="ok"))
    respx.post(SLACK).mock(side_effect=receiver)
    passes = [0]
    real_settle = batches.settle

    def counted_settle(crew, deferred):
        passes[0] += 1
        return real_settle(crew, deferred)

    monkeypatch.setattr(batches, "settle", counted_settle)
    crew = Crew(4, start_until=time.monotonic() + 5)  # two threads for alerts
    worker = threading.Thread(target=batches.work_through, args=(crew,))
    worker.start()
    try:
        until(lambda: receiver.held == 2, "two alerts in flight")
        crew.stop_starting()  # time is up while both are still running
        time.sleep(0.5)
        passes_while_held = passes[0]
    finally:
        receiver.release.set()
        worker.join(timeout=20)
        crew.stop()

    # It waits FLUSH_SECONDS between passes (5 in half a second); a spinning loop makes
    # hundreds of thousands.
    assert passes_while_held < 20
    assert Job.objects.filter(state=JobState.DONE).count() == 2
    assert Job.objects.filter(state=JobState.PENDING, attempts=0).count() == 198


@respx.mock
def test_jobs_handed_back_when_its_time_is_up_wake_a_fresh_task(monkeypatch):
    missed_calls(4)
    woken = []
    monkeypatch.setattr(wakeups, "wake", lambda **kwargs: woken.append(True) or True)
    respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    crew = Crew(2, start_until=time.monotonic())
    crew.claiming = False  # the last claim found nothing more: only the hand-back is left
    try:
        crew.add(claims.claim_batch(4).jobs)
        batches.work_through(crew)
    finally:
        crew.stop()

    assert Job.objects.filter(state=JobState.PENDING, attempts=0).count() == 4
    assert woken  # due now: a fresh task runs them instead of the next sweep


@respx.mock
def test_a_batch_stopped_by_an_error_records_what_its_crew_finished(monkeypatch,
                                                                      no_second_worker):
    missed_calls(3)
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    monkeypatch.setattr(claims, "claim_batch", _claim_then_fail(claims.claim_batch, slack))

    with pytest.raises(RuntimeError):
        batches.run_due()

    # The two alerts that went out are written down on the way out, instead of waiting for
    # the sweeper to settle them as "unknown".
    assert Job.objects.filter(state=JobState.DONE).count() == 2
    assert not Job.objects.filter(state=JobState.RUNNING).exists()


def _claim_then_fail(claim_batch, slack: respx.Route):
    """The first claim takes two of the three jobs; the second fails once both were sent."""
    claimed = [0]

    def claim(size, **kwargs):
        claimed[0] += 1
        if claimed[0] > 1:
            until(lambda: slack.call_count == 2, "both alerts sent")
            raise RuntimeError("the database went away")
        return claim_batch(2, **kwargs)

    return claim


@respx.mock
def test_a_job_whose_claim_was_lost_sends_nothing():
    missed_calls(1)
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    (job,) = claims.claim_batch(1).jobs
    # Its lease ran out and the sweeper took it back before the alert left.
    Job.objects.update(state=JobState.PENDING, lease_until=None)

    verdict = ledger.execute(job)

    assert slack.call_count == 0
    assert ledger.record_many([(job, verdict)]) == 0  # and nothing is written for it
    assert Job.objects.get().state == JobState.PENDING
