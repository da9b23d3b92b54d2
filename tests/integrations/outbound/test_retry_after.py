"""A receiver's Retry-After is honoured only within the retry schedule: a 429 is "not
delivered", retried at most as late as the schedule's longest wait, whatever the header says
(integrations/http.py)."""

from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from integrations.jobs import kinds, ledger
from integrations.models import Job, JobState
from integrations.outbound.http import parse_retry_after
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"
LONGEST = 600  # tests/settings.py: JOB_RETRY_DELAYS = [30, 120, 600]


@pytest.fixture
def alert_job(client) -> Job:
    post_form(client, {"CallId": "CAmiss", "CallStatus": "busy", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234"})
    return Job.objects.get(kind=kinds.SLACK_MISSED_CALL)


@pytest.mark.parametrize(("header", "seconds"), [
    ("90", 90), ("0", 0), ("999999999999", LONGEST), ("9" * 5000, LONGEST),
    ("Wed, 21 Oct 2099 07:28:00 GMT", LONGEST), ("Wed, 21 Oct 2015 07:28:00 GMT", 0),
    ("-5", None), ("soon", None), ("", None), (None, None),
])
def test_it_reads_retry_after_within_the_schedule(header, seconds):
    assert parse_retry_after(header) == seconds


@respx.mock
@pytest.mark.parametrize("header", ["Wed, 21 Oct 2099 07:28:00 GMT", "999999999999"])
def test_it_retries_a_429_within_the_schedule_whatever_the_header_says(alert_job, header):
    respx.post(SLACK).mock(return_value=httpx.Response(429, headers={"Retry-After": header}))

    state = ledger.run(alert_job.pk)

    job = Job.objects.get(pk=alert_job.pk)
    assert state == job.state == JobState.PENDING
    assert job.next_attempt_at <= timezone.now() + timedelta(seconds=LONGEST)
    assert "429" in job.last_error
