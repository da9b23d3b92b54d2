"""Claims (integrations/jobs/claims.py): one statement claims at most a batch of due jobs
and loads them as the ORM's select_related would, so handlers read their call, transcript
and summary without another query; and what the batch's outcomes write back
(ledger.record_many) lands only where the claim still stands."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.utils import timezone

from calls.models import Call, Summary, Transcript
from integrations.jobs import claims, kinds, ledger
from integrations.models import Job, JobState

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the claim statement"),
]


def call(n: int) -> Call:
    return Call.objects.create(call_id=f"CAclaim{n}", direction="inbound", status="completed",
                               from_number=f"0105555{n:04d}", to_number="07052351234",
                               started_at=timezone.now(), duration=30 + n)


def due_job(subject: str, *, about: Call | None, kind: str = kinds.CRM_ACTIVITY, **fields) -> Job:
    return Job.objects.create(kind=kind, subject=subject, call=about,
                              next_attempt_at=timezone.now() - timedelta(seconds=1), **fields)


def test_a_claim_takes_at_most_its_limit():
    # A fresh table has no statistics: the plan that ran the pick again for every row it
    # updated (and so claimed all forty) is the one PostgreSQL chooses here.
    for n in range(40):
        due_job(f"CAlimit{n}", about=None)

    claimed = claims.claim_batch(10)

    assert len(claimed.jobs) == 10 and claimed.full
    assert Job.objects.filter(state=JobState.RUNNING, attempts=1).count() == 10
    assert Job.objects.filter(state=JobState.PENDING, attempts=0).count() == 30


@pytest.mark.parametrize(("due", "taken", "full"), [
    (100, 50, True),  # half of what is due: the other half for the worker it wakes
    (30, 16, True),  # half would leave the crew short: as many as it needs
    (10, 10, False),  # everything, and nothing left to wake anyone for
    (500, 100, True),  # never more than the batch
])
def test_a_claim_leaves_half_of_what_is_due_to_other_workers(due, taken, full):
    for n in range(due):
        due_job(f"CAshare{n}", about=None)

    batch = claims.claim_batch(100, at_least=16)

    assert (len(batch.jobs), batch.full) == (taken, full)
    assert Job.objects.filter(state=JobState.RUNNING).count() == taken


def test_it_claims_the_oldest_due_first_and_leaves_what_is_not_due():
    later = due_job("CAlater", about=None)
    first = due_job("CAfirst", about=None)
    Job.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    not_due = due_job("CAnotdue", about=None)
    Job.objects.filter(pk=not_due.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    batch = claims.claim_batch(10)

    assert [job.pk for job in batch.jobs] == [first.pk, later.pk]
    assert not batch.full
    assert Job.objects.get(pk=not_due.pk).state == JobState.PENDING


def test_it_loads_each_job_as_select_related_would(django_assert_num_queries):
    with_both, with_neither = call(1), call(2)
    Transcript.objects.create(call=with_both, status="completed",
                              segments=[{"speaker": "customer", "text": "예약 문의요"}])
    Summary.objects.create(call=with_both, status="completed",
                           result_json={"coreSummary": "예약 문의"})
    jobs = [due_job("CAboth", about=with_both, payload={"call_ids": [1, 2]}),
            due_job("CAneither", about=with_neither),
            due_job("CAnocall", about=None, kind=kinds.SLACK_MISSED_CALL)]

    claimed = {job.pk: job for job in claims.claim_batch(10).jobs}
    expected = {job.pk: job for job in Job.objects.select_related(*ledger.CLAIM_RELATED)
                .filter(pk__in=[job.pk for job in jobs])}

    with django_assert_num_queries(0):
        both, neither, none = (claimed[job.pk] for job in jobs)
        assert both.payload == {"call_ids": [1, 2]} and both.result == {}
        assert both.call.transcript.segments == [{"speaker": "customer", "text": "예약 문의요"}]
        assert both.call.summary.core_summary == "예약 문의"
        assert both.call.transcript.call is both.call
        assert neither.call.duration == 32
        with pytest.raises(ObjectDoesNotExist):
            neither.call.transcript  # noqa: B018 (the access is what is tested)
        with pytest.raises(ObjectDoesNotExist):
            neither.call.summary  # noqa: B018
        assert none.call is None
    for pk, job in claimed.items():
        assert not job._state.adding and job._state.db == "default"
        assert field_values(job) == field_values(expected[pk])
        if job.call is not None:
            assert field_values(job.call) == field_values(expected[pk].call)
    assert field_values(both.call.transcript) == field_values(expected[both.pk].call.transcript)
    assert field_values(both.call.summary) == field_values(expected[both.pk].call.summary)


def field_values(obj) -> dict:
    """Each field's value, and for a moment its time zone too (the same object as the ORM's,
    not just the same instant)."""
    values = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        values[field.attname] = (value, value.tzinfo) if isinstance(value, datetime) else value
    return values


def test_outcomes_are_written_where_the_claim_stands_with_every_column_they_change():
    for n in range(5):
        due_job(f"CArecord{n}", about=None, payload={"polls": 2, "call_ids": [n]})
    done, retried, polled, failed, lost = claims.claim_batch(10).jobs
    Job.objects.filter(pk=lost.pk).update(attempts=2)  # claimed again by another worker
    before = timezone.now()

    written = ledger.record_many([
        (done, ledger.Verdict(JobState.DONE, result={"status": 201, "note": "예약 \"확인\""})),
        (retried, ledger.Verdict(JobState.PENDING, error="CRM answered 503", retry_in=30)),
        (polled, ledger.Verdict(JobState.PENDING, error="transcript pending", retry_in=60,
                                polls=3)),
        (failed, ledger.Verdict(JobState.FAILED, error="CRM answered 400")),
        (lost, ledger.Verdict(JobState.DONE, result={})),
    ])

    assert written == 4
    rows = {row.pk: row for row in Job.objects.all()}
    for job in (done, retried, polled, failed):
        row = rows[job.pk]
        assert (row.lease_until, row.sending_since) == (None, None)
        assert row.updated_at >= before
    assert (rows[done.pk].state, rows[done.pk].result) == (
        JobState.DONE, {"status": 201, "note": "예약 \"확인\""})
    assert rows[done.pk].finished_at >= before and rows[done.pk].attempts == 1
    retry = rows[retried.pk]
    assert (retry.state, retry.last_error, retry.attempts, retry.enqueued_at) == (
        JobState.PENDING, "CRM answered 503", 1, None)
    assert timedelta(seconds=29) < retry.next_attempt_at - before < timedelta(seconds=31)
    poll = rows[polled.pk]
    # A poll gives its attempt back and counts itself in the payload.
    assert (poll.state, poll.attempts, poll.payload) == (
        JobState.PENDING, 0, {"polls": 3, "call_ids": [2]})
    assert (rows[failed.pk].state, rows[failed.pk].last_error) == (
        JobState.FAILED, "CRM answered 400")
    assert (rows[lost.pk].state, rows[lost.pk].attempts) == (JobState.RUNNING, 2)
