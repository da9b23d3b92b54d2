"""Reconciliation with ClawOps: what the API's lists report and webhooks never brought is
applied through the intake's rules, once, with the same jobs; nothing else changes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from io import StringIO

import httpx
import pytest
import respx
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from calls.models import Call, CallEvent, Message
from integrations.jobs import kinds
from integrations.models import Job, JobState
from integrations.periodic.runs import AlreadyRunning
from integrations.reconciliation.models import FailedClawOpsDelivery, RecoveredItem
from integrations.reconciliation.reconcile import reconcile, scheduled_window
from tests.clawops_lists import ClawOpsLists, call, message, webhook_log
from tests.helpers import in_parallel, post_form

pytestmark = pytest.mark.django_db
API = "https://api.clawops.test"
SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"
NOW = "2026-11-26T01:00:00Z"
DAY = timedelta(hours=24)


@pytest.fixture
def clawops():
    lists = ClawOpsLists(account_id="AC_test",
                         webhook_url="https://clinic.example.com/webhooks/clawops/")
    with respx.mock(assert_all_called=False) as mock:
        def route(request: httpx.Request) -> httpx.Response:
            status, body = lists.answer(request.method, request.url.path,
                                        dict(request.url.params))
            return httpx.Response(status, json=body)

        mock.route(host="api.clawops.test").mock(side_effect=route)
        mock.slack = mock.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
        lists.mock = mock
        with time_machine.travel(NOW, tick=False):
            yield lists


def counts() -> dict[str, int]:
    return {"calls": Call.objects.count(), "events": CallEvent.objects.count(),
            "messages": Message.objects.count(), "jobs": Job.objects.count(),
            "recovered": RecoveredItem.objects.count()}


def test_it_brings_in_a_missed_call_with_its_one_slack_alert(
        clawops, django_capture_on_commit_callbacks):
    clawops.calls = [call("CAlost1", "no-answer", from_="010-5555-1234")]

    with django_capture_on_commit_callbacks(execute=True):
        report = reconcile(DAY)

    assert (report.calls_checked, report.calls_recovered) == (1, 1)
    lost = Call.objects.get(call_id="CAlost1")
    assert (lost.status, lost.direction, lost.from_number) == ("no-answer", "inbound",
                                                              "01055551234")
    assert lost.started_at.isoformat() == "2026-11-26T00:15:02+00:00"
    assert lost.is_missed
    alert = Job.objects.get(kind=kinds.SLACK_MISSED_CALL)
    assert (alert.call_id, alert.state) == (lost.pk, JobState.DONE)
    assert clawops.mock.slack.call_count == 1
    item = RecoveredItem.objects.get()
    assert (item.source, item.kind, item.reference, item.call_id, item.status_before,
            item.status_after) == ("reconciliation", "call", "CAlost1", lost.pk, "", "no-answer")
    event = CallEvent.objects.get(call=lost)
    assert (event.status, event.details["source"]) == ("no-answer", "reconciliation")


def test_it_plans_the_same_jobs_for_a_finished_call_as_its_webhook_would(clawops, client):
    post_form(client, {"CallId": "CAseen1", "CallStatus": "ringing", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234"})
    clawops.calls = [call("CAseen1", "completed", duration=120)]

    reconcile(DAY)

    seen = Call.objects.get(call_id="CAseen1")
    assert (seen.status, seen.duration) == ("completed", 120)
    assert set(Job.objects.values_list("kind", "subject")) == {
        (kinds.FETCH_ARTIFACTS, "CAseen1"), (kinds.CRM_ACTIVITY, "CAseen1")}
    item = RecoveredItem.objects.get()
    assert (item.status_before, item.status_after) == ("ringing", "completed")
    assert set(seen.events.values_list("status", flat=True)) == {"ringing", "completed"}


def test_a_second_run_and_a_run_that_finds_nothing_change_nothing(
        clawops, django_capture_on_commit_callbacks):
    clawops.calls = [call("CAlost1", "no-answer"), call("CAok", "completed", duration=30)]
    clawops.messages = [message("MGlost1", "received")]
    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile(DAY)
    assert (first.calls_recovered, first.messages_recovered) == (2, 1)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        second = reconcile(DAY)

    assert (second.calls_checked, second.calls_recovered, second.messages_recovered) == (2, 0, 0)
    assert counts() == before
    assert clawops.mock.slack.call_count == 1


def test_it_never_moves_a_call_backwards(clawops, client):
    post_form(client, {"CallId": "CAdone", "CallStatus": "completed", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234", "CallDuration": "40"})
    before = counts()
    clawops.calls = [call("CAdone", "in-progress", updated=None)]

    assert reconcile(DAY).calls_recovered == 0

    assert Call.objects.get(call_id="CAdone").status == "completed"
    assert counts() == before


def test_it_reads_newest_first_and_stops_past_the_window(clawops):
    # 150 calls a minute apart, newest first: the last hour holds 60 of them.
    start = timezone.now()
    clawops.calls = [
        call(f"CA{i:03d}", "completed", duration=10,
             created=(start - timedelta(minutes=i, seconds=30)).isoformat())
        for i in range(150)
    ]

    report = reconcile(timedelta(hours=1))

    assert (report.calls_checked, report.calls_recovered, report.complete) == (60, 60, True)
    assert [page for resource, page in clawops.requested_pages if resource == "/calls"] == [0]


def test_it_brings_in_a_reply_sms_and_what_it_sets_in_motion(clawops):
    clawops.messages = [message("MGreply", "received", body="네 확인했습니다")]

    report = reconcile(DAY)

    assert report.messages_recovered == 1
    reply = Message.objects.get(message_id="MGreply")
    assert (reply.status, reply.body, reply.from_number) == ("received", "네 확인했습니다",
                                                             "01055551234")
    assert hasattr(reply, "reply")  # the reply rules ran (no appointment matched here)
    item = RecoveredItem.objects.get()
    assert (item.kind, item.message_id, item.status_after) == ("message", reply.pk, "received")


def test_it_keeps_the_failed_deliveries_of_clawops_log_by_id_only(clawops):
    clawops.logs = [
        webhook_log("LOG2", "failed", payload={"MessageId": "MGx", "Body": "비밀 내용",
                                               "From": "01055551234"}),
        webhook_log("LOG1", "delivered", payload={"MessageId": "MGy"}),
    ]

    assert reconcile(DAY).failed_deliveries_new == 1
    assert reconcile(DAY).failed_deliveries_new == 0

    failure = FailedClawOpsDelivery.objects.get()
    assert (failure.log_id, failure.event, failure.reference, failure.response_status,
            failure.attempt, failure.max_attempts) == (
        "LOG2", "message.received", "MGx", 503, 5, 5)
    kept = " ".join(str(value) for value in vars(failure).values())
    assert "비밀" not in kept and "5555" not in kept


def test_it_says_when_our_webhook_is_not_registered(clawops):
    clawops.webhook_url = "https://elsewhere.example.com/hook"
    report = reconcile(DAY)
    assert any("register_clawops" in note for note in report.notes)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_recover_each_call_once(clawops):
    clawops.calls = [call("CAlost1", "no-answer")]
    started = threading.Barrier(2)
    real_answer = clawops.answer

    def slow_answer(*args):
        time.sleep(0.3)  # both runs are inside their reading at the same time
        return real_answer(*args)

    clawops.answer = slow_answer

    def run():
        started.wait(timeout=10)
        try:
            return reconcile(DAY).calls_recovered
        except AlreadyRunning:
            return "already running"

    results = in_parallel(2, run)

    assert sorted(results, key=str) == [1, "already running"]
    assert RecoveredItem.objects.count() == 1
    assert Job.objects.filter(kind=kinds.SLACK_MISSED_CALL).count() == 1


def test_the_command_reports_and_refuses_bad_input(clawops):
    clawops.calls = [call("CAlost1", "busy")]
    out = StringIO()
    call_command("reconcile_clawops", "--since", "2h", stdout=out)
    assert "calls: 1 checked, 1 recovered" in out.getvalue()
    with pytest.raises(CommandError, match="not a duration"):
        call_command("reconcile_clawops", "--since", "yesterday")
    with override_settings(CLAWOPS_API_KEY=""), pytest.raises(CommandError, match="off"):
        call_command("reconcile_clawops")


def test_the_schedule_looks_back_to_its_last_run_after_downtime(clawops):
    assert scheduled_window() == DAY
    reconcile(DAY)
    with time_machine.travel(timezone.now() + timedelta(hours=30), tick=False):
        assert scheduled_window() == timedelta(hours=30, minutes=10)
