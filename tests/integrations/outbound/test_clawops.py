"""The ClawOps door (integrations.outbound.clawops): one client per process, place_call and
send_sms that mark their job as sending, and failures sorted into the classes the ledger
acts on — retried, failed for good, or in doubt (결과 확인 필요)."""

import httpx
import pytest
import respx
import time_machine
from django.db import transaction

from integrations.jobs import kinds
from integrations.models import Clinic, Job, JobState
from integrations.outbound import clawops
from tests.clawops_api import API, call_created, message_created
from tests.integrations.clinics.reminder_story import book, make_clinic, run, seoul

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()


def claimed_job(subject: str = "door") -> Job:
    """A job as a worker holds it after its claim (no queue message, so nothing runs it)."""
    return Job.objects.create(kind=kinds.CALLBACK_CALL, subject=subject,
                              state=JobState.RUNNING, attempts=1)


# --- failure classes, through the ledger ---------------------------------------------------


@respx.mock
@pytest.mark.parametrize("not_sent", [httpx.ConnectTimeout("no connection"),
                                      httpx.PoolTimeout("no free connection")])
def test_it_retries_a_create_that_timed_out_before_its_request_left(clinic, not_sent):
    route = respx.post(f"{API}/messages").mock(side_effect=not_sent)
    appointment = book(clinic, seoul(1, 15))

    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.PENDING

    job = Job.objects.get(kind=kinds.REMINDER_SMS)
    assert "could not connect" in job.last_error
    assert job.sending_since is None
    assert route.call_count == 1


@respx.mock
def test_it_leaves_a_create_whose_answer_never_came_for_staff_to_check(clinic):
    respx.post(f"{API}/messages").mock(side_effect=httpx.ReadTimeout("no answer"))
    appointment = book(clinic, seoul(1, 15))

    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.UNKNOWN


@respx.mock
@pytest.mark.parametrize("status", [429, 500, 502, 503])
@pytest.mark.parametrize("code", ["recipient_blocked", "invalid_phone", "from_not_registered"])
def test_it_fails_for_good_on_a_permanent_code_whatever_status_it_comes_with(
        clinic, status, code):
    route = respx.post(f"{API}/messages").mock(
        return_value=httpx.Response(status, json={"error": "refused", "code": code}))
    appointment = book(clinic, seoul(1, 15))

    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.FAILED

    assert code in Job.objects.get(kind=kinds.REMINDER_SMS).last_error
    assert route.call_count == 1


@respx.mock
def test_it_still_waits_out_a_rate_limit_without_a_permanent_code(clinic):
    respx.post(f"{API}/messages").mock(
        return_value=httpx.Response(429, json={"error": "slow down"},
                                    headers={"Retry-After": "90"}))
    appointment = book(clinic, seoul(1, 15))

    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.PENDING
        job = Job.objects.get(kind=kinds.REMINDER_SMS)
        assert (job.next_attempt_at - seoul(1, 14)).total_seconds() >= 90


# --- the door ----------------------------------------------------------------------------


@respx.mock
def test_it_places_a_call_reporting_to_our_webhook_and_marks_the_job_sending_first():
    job = claimed_job()
    seen: dict[str, object] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen["sending_since"] = Job.objects.get(pk=job.pk).sending_since
        return call_created("CAdoor1")

    respx.post(f"{API}/calls").mock(side_effect=answer)

    placed = clawops.place_call(job, to="01055551234", from_="07052351234",
                                url="https://clinic.example.com/voice/x/")

    assert placed.call_id == "CAdoor1"
    assert seen["sending_since"] is not None
    sent = respx.calls.last.request
    assert b'"StatusCallback":"https://clinic.example.com/webhooks/clawops/"' in \
        sent.content.replace(b" ", b"")
    assert b'"StatusCallbackEvent":"initiatedringingansweredcompleted"' in \
        sent.content.replace(b" ", b"")


@respx.mock
def test_it_sends_an_sms_and_marks_the_job_sending_first():
    job = claimed_job()
    respx.post(f"{API}/messages").mock(return_value=message_created("MGdoor1"))

    sent = clawops.send_sms(job, to="01055551234", from_="07052351234", body="안녕하세요")

    assert sent.message_id == "MGdoor1"
    assert Job.objects.get(pk=job.pk).sending_since is not None


@pytest.mark.django_db(transaction=True)
@respx.mock
def test_it_refuses_to_place_a_call_inside_a_transaction():
    job = claimed_job()
    route = respx.post(f"{API}/calls").mock(return_value=call_created())

    with pytest.raises(RuntimeError), transaction.atomic():
        clawops.place_call(job, to="01055551234", from_="07052351234", url="https://x/")

    assert route.call_count == 0
    assert Job.objects.get(pk=job.pk).sending_since is None


def test_it_reuses_one_client_without_retries_and_with_a_short_timeout(settings):
    first = clawops.client()

    assert clawops.client() is first
    assert first._max_retries == 0
    assert first._timeout.connect == clawops.CONNECT_TIMEOUT_SECONDS
    assert first._timeout.read == settings.OUTBOUND_TIMEOUT_SECONDS

    settings.CLAWOPS_API_KEY = "sk_other"
    assert clawops.client() is not first
