"""S3: transcript and summary fetched for connected calls, then one CRM record per call."""

import json
from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from calls.models import Summary, Transcript
from integrations.jobs import kinds, ledger
from integrations.models import Job, JobState
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db
API = "https://api.clawops.test/v1/accounts/AC_test/calls/CA7e1f2a"
CRM = "https://crm.test/api/activities"
SEGMENTS = [
    {"speaker": "speaker_0", "start": 0.0, "end": 2.5, "text": "네, 강남연세치과입니다."},
    {"speaker": "speaker_1", "start": 2.6, "end": 5.0, "text": "내일 예약 확인하려고요."},
]
SUMMARY = {"coreSummary": "내일 오전 10시 예약 확인", "decisions": ["예약 유지"],
           "followUps": [], "sentiment": "positive"}


def transcript(status="completed"):
    body = {"status": status, "callId": "CA7e1f2a"}
    if status == "completed":
        body.update(segments=SEGMENTS, segmentCount=2)
    if status == "failed":
        body.update(stage="stt", error="audio too short")
    return httpx.Response(200, json=body)


def summary(status="completed"):
    body = {"status": status, "callId": "CA7e1f2a"}
    if status == "completed":
        body.update(resultJson=SUMMARY, schemaVersion="default:v1")
    if status == "failed":
        body.update(failedReason="no transcript")
    return httpx.Response(200, json=body)


def due_now(kind: str) -> Job:
    Job.objects.filter(kind=kind).update(next_attempt_at=timezone.now())
    return Job.objects.get(kind=kind)


@pytest.fixture
def finished_call(client):
    for name in ("status_answered", "status_completed"):
        post_form(client, fixture(name))


def test_it_plans_a_fetch_and_a_crm_record_for_a_connected_call(finished_call):
    fetch = Job.objects.get(kind=kinds.FETCH_ARTIFACTS)
    crm = Job.objects.get(kind=kinds.CRM_ACTIVITY)
    now = timezone.now()
    assert fetch.next_attempt_at > now + timedelta(seconds=50)  # first poll after 60 s
    assert crm.next_attempt_at > now + timedelta(minutes=59)  # waits for the artifacts
    assert fetch.call.call_id == crm.call.call_id == "CA7e1f2a"


@pytest.mark.parametrize("name", ["status_no_answer", "status_ringing", "status_answered"])
def test_it_plans_nothing_for_calls_that_did_not_connect_or_did_not_end(client, name):
    post_form(client, fixture(name))
    assert not Job.objects.filter(kind__in=[kinds.FETCH_ARTIFACTS, kinds.CRM_ACTIVITY]).exists()


@respx.mock
def test_it_stores_transcript_and_summary_and_sends_the_crm_record(
        finished_call, django_capture_on_commit_callbacks):
    respx.get(f"{API}/transcript").mock(return_value=transcript())
    respx.get(f"{API}/summary").mock(return_value=summary())
    crm = respx.post(CRM).mock(return_value=httpx.Response(201, json={"id": "act_1"}))

    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.run(due_now(kinds.FETCH_ARTIFACTS).pk) == JobState.DONE

    stored = Transcript.objects.get()
    assert stored.status == "completed"
    assert stored.segments[1]["text"] == "내일 예약 확인하려고요."
    assert Summary.objects.get().result_json == SUMMARY
    assert crm.call_count == 1
    request = crm.calls.last.request
    assert request.headers["Authorization"] == "Bearer crm-test-token"
    assert request.headers["Idempotency-Key"] == "clawsite-call-CA7e1f2a"
    assert json.loads(request.content) == {
        "type": "call",
        "phone": "01055551234",
        "duration": 120,
        "summary": "내일 오전 10시 예약 확인",
        "transcript": "[speaker_0] 네, 강남연세치과입니다.\n[speaker_1] 내일 예약 확인하려고요.",
        "call_id": "CA7e1f2a",
    }
    assert Job.objects.get(kind=kinds.CRM_ACTIVITY).state == JobState.DONE


@respx.mock
def test_it_polls_again_with_backoff_while_pending(finished_call):
    respx.get(f"{API}/transcript").mock(return_value=transcript("pending"))
    respx.get(f"{API}/summary").mock(return_value=summary())

    assert ledger.run(due_now(kinds.FETCH_ARTIFACTS).pk) == JobState.PENDING

    job = Job.objects.get(kind=kinds.FETCH_ARTIFACTS)
    assert job.last_error == "transcript still pending"
    assert job.next_attempt_at > timezone.now() + timedelta(seconds=110)  # delays[1] = 120
    assert Transcript.objects.get().status == "pending"
    assert Job.objects.get(kind=kinds.CRM_ACTIVITY).next_attempt_at > timezone.now() + timedelta(
        minutes=50)


@respx.mock
def test_it_stops_polling_after_the_schedule_and_lets_the_crm_go(finished_call, settings):
    respx.get(f"{API}/transcript").mock(return_value=transcript("pending"))
    respx.get(f"{API}/summary").mock(return_value=summary("pending"))
    states = []
    for _ in settings.ARTIFACT_POLL_DELAYS:
        states.append(ledger.run(due_now(kinds.FETCH_ARTIFACTS).pk))

    assert states == [JobState.PENDING, JobState.PENDING, JobState.DONE]
    assert Job.objects.get(kind=kinds.CRM_ACTIVITY).next_attempt_at <= timezone.now()


@respx.mock
@pytest.mark.parametrize("status", ["failed", "not_requested"])
def test_it_records_failed_and_not_requested_as_final(finished_call, status):
    respx.get(f"{API}/transcript").mock(return_value=transcript(status))
    respx.get(f"{API}/summary").mock(return_value=summary(status))

    assert ledger.run(due_now(kinds.FETCH_ARTIFACTS).pk) == JobState.DONE

    assert Transcript.objects.get().status == status
    assert Summary.objects.get().status == status
    if status == "failed":
        assert Transcript.objects.get().error == "audio too short"
        assert Summary.objects.get().error == "no transcript"


@respx.mock
def test_a_transcript_event_fetches_at_once(client, django_capture_on_commit_callbacks):
    post_form(client, fixture("status_answered"))
    post_form(client, fixture("status_completed"))
    transcript_route = respx.get(f"{API}/transcript").mock(return_value=transcript())
    respx.get(f"{API}/summary").mock(return_value=summary())
    respx.post(CRM).mock(return_value=httpx.Response(201))

    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, fixture("transcript_completed"))

    assert transcript_route.call_count == 1
    assert Job.objects.get(kind=kinds.FETCH_ARTIFACTS).state == JobState.DONE
    assert Job.objects.get(kind=kinds.CRM_ACTIVITY).state == JobState.DONE


@respx.mock
def test_the_crm_record_goes_with_what_exists_after_the_wait(finished_call):
    crm = respx.post(CRM).mock(return_value=httpx.Response(201))

    assert ledger.run(due_now(kinds.CRM_ACTIVITY).pk) == JobState.DONE

    body = json.loads(crm.calls.last.request.content)
    assert (body["summary"], body["transcript"], body["duration"]) == ("", "", 120)


@respx.mock
def test_it_sends_one_crm_record_per_call_ever(client, finished_call):
    crm = respx.post(CRM).mock(return_value=httpx.Response(201))
    ledger.run(due_now(kinds.CRM_ACTIVITY).pk)
    # The same completion again, and in the other scheme: nothing new is planned.
    post_form(client, fixture("status_completed"))
    assert ledger.run(due_now(kinds.CRM_ACTIVITY).pk) == "not claimed"
    assert crm.call_count == 1
    assert Job.objects.filter(kind=kinds.CRM_ACTIVITY).count() == 1


@respx.mock
@pytest.mark.parametrize(
    ("answer", "state"),
    [(httpx.Response(500), JobState.PENDING), (httpx.Response(401), JobState.FAILED),
     (httpx.Response(429, headers={"Retry-After": "120"}), JobState.PENDING),
     (httpx.ReadTimeout("slow"), JobState.PENDING)],
    ids=["500", "401", "429", "timeout resends: the CRM dedupes"],
)
def test_it_classifies_crm_failures(finished_call, answer, state):
    if isinstance(answer, Exception):
        respx.post(CRM).mock(side_effect=answer)
    else:
        respx.post(CRM).mock(return_value=answer)
    assert ledger.run(due_now(kinds.CRM_ACTIVITY).pk) == state


@respx.mock
@pytest.mark.parametrize(
    ("answer", "state"),
    [(httpx.Response(503, json={"error": "잠시 후", "code": "service_unavailable"}),
      JobState.PENDING),
     (httpx.Response(429, json={"error": "too many"}, headers={"Retry-After": "300"}),
      JobState.PENDING),
     (httpx.Response(404, json={"error": "없음"}), JobState.FAILED),
     (httpx.Response(401, json={"error": "bad key"}), JobState.FAILED),
     (httpx.ConnectError("refused"), JobState.PENDING)],
    ids=["503", "429", "404", "401", "connection"],
)
def test_it_classifies_clawops_api_failures(finished_call, answer, state):
    if isinstance(answer, Exception):
        respx.get(f"{API}/transcript").mock(side_effect=answer)
    else:
        respx.get(f"{API}/transcript").mock(return_value=answer)
    respx.get(f"{API}/summary").mock(return_value=summary())

    assert ledger.run(due_now(kinds.FETCH_ARTIFACTS).pk) == state
    job = Job.objects.get(kind=kinds.FETCH_ARTIFACTS)
    assert "ClawOps API" in job.last_error
    if "429" in job.last_error:
        assert job.next_attempt_at > timezone.now() + timedelta(seconds=290)


@respx.mock
def test_slack_down_does_not_delay_the_crm(client, finished_call):
    respx.post("https://hooks.slack.test/services/T000/B000/XXXX").mock(
        return_value=httpx.Response(500))
    crm = respx.post(CRM).mock(return_value=httpx.Response(201))
    post_form(client, {"CallId": "CAmiss", "CallStatus": "busy", "Direction": "inbound",
                       "From": "01011112222", "To": "07052351234"})

    assert ledger.run(Job.objects.get(kind=kinds.SLACK_MISSED_CALL).pk) == JobState.PENDING
    assert ledger.run(due_now(kinds.CRM_ACTIVITY).pk) == JobState.DONE
    assert crm.call_count == 1


@respx.mock
def test_a_crm_outage_does_not_block_alerts(client, finished_call):
    slack = respx.post("https://hooks.slack.test/services/T000/B000/XXXX").mock(
        return_value=httpx.Response(200))
    respx.post(CRM).mock(side_effect=httpx.ConnectError("down"))
    post_form(client, {"CallId": "CAmiss", "CallStatus": "busy", "Direction": "inbound",
                       "From": "01011112222", "To": "07052351234"})

    assert ledger.run(due_now(kinds.CRM_ACTIVITY).pk) == JobState.PENDING
    assert ledger.run(Job.objects.get(kind=kinds.SLACK_MISSED_CALL).pk) == JobState.DONE
    assert slack.call_count == 1


def test_it_skips_with_a_reason_when_the_crm_is_not_configured(finished_call, settings):
    settings.CRM_API_TOKEN = ""
    assert ledger.run(due_now(kinds.CRM_ACTIVITY).pk) == JobState.SKIPPED
    assert "CRM_API_TOKEN" in Job.objects.get(kind=kinds.CRM_ACTIVITY).last_error


@respx.mock
def test_polling_does_not_use_up_the_retries_of_a_later_failure(finished_call, settings):
    settings.ARTIFACT_POLL_DELAYS = [60] * 10
    route = respx.get(f"{API}/transcript")
    route.side_effect = [transcript("pending")] * 6 + [httpx.Response(503)] + [transcript()]
    respx.get(f"{API}/summary").mock(return_value=summary())

    states = [ledger.run(due_now(kinds.FETCH_ARTIFACTS).pk) for _ in range(8)]

    assert states == [JobState.PENDING] * 7 + [JobState.DONE]
    job = Job.objects.get(kind=kinds.FETCH_ARTIFACTS)
    assert (job.attempts, job.payload["polls"]) == (2, 6)
    assert Transcript.objects.get().status == "completed"
