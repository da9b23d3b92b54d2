"""The crew's rule for a kind whose receiver failed: its jobs go back while the failed one
waits for its retry, and start again once that wait is over (integrations/jobs/crew.py)."""

import time

from integrations.jobs import kinds, ledger
from integrations.jobs.crew import Crew
from integrations.models import Job, JobState

SLACK = kinds.SLACK_MISSED_CALL


def claimed_job(pk: int) -> Job:
    return Job(pk=pk, kind=SLACK, subject=f"CAcrew{pk}", attempts=1, state=JobState.RUNNING)


def fail_transiently(crew: Crew, job: Job) -> None:
    """What a crew thread does with a job whose receiver answered 503."""
    crew._running[job.kind] += 1
    crew._finish(job, ledger.Verdict(JobState.PENDING, error="503", retry_in=30))


def test_a_kind_backs_off_only_until_its_failed_job_is_retried(settings):
    settings.JOB_RETRY_DELAYS = [0.3, 60]
    crew = Crew(2, start_until=time.monotonic())  # its threads start nothing
    try:
        fail_transiently(crew, claimed_job(1))

        crew.add([claimed_job(2)])
        ((job, wait),) = crew.take_handed_back()
        assert job.pk == 2 and 0 < wait <= 0.3  # back when the failed one is retried

        time.sleep(0.35)
        crew.add([claimed_job(3)])
        assert crew.take_handed_back() == []  # the wait is over: it may start
        assert SLACK not in crew.backing_off

        fail_transiently(crew, claimed_job(3))  # a new failure backs off anew
        assert SLACK in crew.backing_off
    finally:
        crew.stop()
