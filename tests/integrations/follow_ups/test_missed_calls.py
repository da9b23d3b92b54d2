"""S1: exactly one Slack alert per missed inbound call, through the job ledger."""

import json
from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from integrations.jobs import kinds, ledger
from integrations.models import Job, JobState
from tests.helpers import fixture, post_form, post_json

pytestmark = pytest.mark.django_db
SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"


def missed(call_id: str, at: str = "2026-11-26T00:15:02Z", number: str = "010-5555-1234"):
    return {"CallId": call_id, "CallStatus": "no-answer", "Direction": "inbound",
            "From": number, "To": "07052351234", "Timestamp": at}


@respx.mock
def test_it_posts_one_block_kit_alert_for_a_missed_call(client, django_capture_on_commit_callbacks):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))

    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, missed("CAmiss1"))

    assert slack.call_count == 1
    message = json.loads(slack.calls.last.request.content)
    text = json.dumps(message, ensure_ascii=False)
    assert "010-5555-1234" in text
    assert "11월 26일(목) 09:15" in text  # 00:15 UTC in Asia/Seoul
    assert "콜백 필요" in message["text"]
    button = message["blocks"][-1]["elements"][0]
    job = Job.objects.get()
    assert button["url"] == f"https://clinic.example.com/admin/calls/call/{job.call_id}/change/"
    assert (job.kind, job.state, job.attempts) == (kinds.SLACK_MISSED_CALL, JobState.DONE, 1)


@respx.mock
def test_it_alerts_a_completed_inbound_call_of_zero_seconds(
        client, django_capture_on_commit_callbacks):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    with django_capture_on_commit_callbacks(execute=True):
        post_json(client, fixture("json_call_completed"))
    assert slack.call_count == 1


def test_it_writes_the_job_in_the_same_transaction_as_the_event(client):
    post_form(client, missed("CAmiss1"))
    job = Job.objects.get()
    assert job.call.call_id == "CAmiss1"
    assert job.state == JobState.PENDING


@pytest.mark.parametrize("name", ["status_completed", "status_answered", "status_ringing"])
def test_it_does_not_alert_an_answered_call(client, name):
    post_form(client, fixture(name))
    assert not Job.objects.filter(kind=kinds.SLACK_MISSED_CALL).exists()


def test_it_does_not_alert_an_unanswered_outbound_call(client):
    post_form(client, dict(missed("CAout"), Direction="outbound"))
    assert not Job.objects.exists()


@respx.mock
def test_it_alerts_once_for_a_delivery_sent_again_or_in_both_schemes(
        client, django_capture_on_commit_callbacks):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    form = {"CallId": "CA9f2c1e", "CallStatus": "completed", "Direction": "inbound",
            "From": "01055551234", "To": "07052351234", "CallDuration": "0"}
    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, form)
        post_form(client, form)
        post_json(client, fixture("json_call_completed"))
    assert slack.call_count == 1
    assert Job.objects.count() == 1


def test_it_groups_a_caller_trying_again_within_30_minutes(client):
    post_form(client, missed("CAm1", "2026-11-26T00:00:00Z"))
    post_form(client, missed("CAm2", "2026-11-26T00:20:00Z", number="+82 10 5555 1234"))
    post_form(client, missed("CAm3", "2026-11-26T00:45:00Z"))  # 25 min after the 2nd
    post_form(client, missed("CAother", "2026-11-26T00:46:00Z", number="01099990000"))

    jobs = Job.objects.filter(kind=kinds.SLACK_MISSED_CALL).order_by("id")
    assert [job.payload["call_ids"] for job in jobs] == [["CAm1", "CAm2", "CAm3"], ["CAother"]]


def test_it_starts_a_new_alert_after_the_window(client):
    post_form(client, missed("CAm1", "2026-11-26T00:00:00Z"))
    post_form(client, missed("CAm2", "2026-11-26T00:31:00Z"))
    assert Job.objects.filter(kind=kinds.SLACK_MISSED_CALL).count() == 2


@respx.mock
def test_it_reports_the_repeat_count_in_the_alert(client):
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    post_form(client, missed("CAm1", "2026-11-26T00:00:00Z"))
    post_form(client, missed("CAm2", "2026-11-26T00:10:00Z"))
    job = Job.objects.get()

    assert ledger.run(job.pk) == JobState.DONE

    assert "2회 연속" in json.loads(slack.calls.last.request.content)["text"]
    assert Job.objects.get().result == {"calls_reported": 2}


def test_it_skips_the_alert_with_a_reason_when_slack_is_not_configured(client, settings):
    settings.SLACK_WEBHOOK_URL = ""
    post_form(client, missed("CAm1"))

    assert ledger.run(Job.objects.get().pk) == JobState.SKIPPED
    assert Job.objects.get().last_error == "slack is off: SLACK_WEBHOOK_URL is not set"


def test_it_keeps_the_alert_due_time_now(client):
    before = timezone.now()
    post_form(client, missed("CAm1"))
    assert before - timedelta(seconds=1) <= Job.objects.get().next_attempt_at <= timezone.now()
