"""Reconciliation end to end: a local ClawOps stand-in whose call list holds calls clawsite
never received, a real web server and `qcluster` worker on PostgreSQL, and the real
`manage.py reconcile_clawops` — the calls come in with the right states, the missed one
gets exactly one Slack alert, the connected one its transcript and CRM record, and a second
run changes nothing."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from calls.models import Call, CallEvent, Summary, Transcript
from integrations.jobs import kinds
from integrations.models import Job, JobState
from integrations.reconciliation.models import RecoveredItem
from tests.clawops_lists import ClawOpsListReceiver, ClawOpsLists, call
from tests.e2e.receivers import CrmReceiver, SlackReceiver
from tests.e2e.stack import Stack, base_environment, database_url, run_once
from tests.e2e.waiting import free_port, stays, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the end-to-end tests run the worker on PostgreSQL"),
]

API_KEY = "sk_e2e_reconcile"
ACCOUNT_ID = "AC_e2e"
CRM_TOKEN = "crm-e2e-token"
SEGMENTS = [{"speaker": "speaker_0", "start": 0.0, "end": 2.0, "text": "네, 병원입니다."}]
SUMMARY = {"coreSummary": "예약 문의", "decisions": [], "followUps": [], "sentiment": "neutral"}


@pytest.fixture
def world(transactional_db: None, tmp_path: Path) -> Iterator[tuple]:
    web_port = free_port()
    lists = ClawOpsLists(account_id=ACCOUNT_ID,
                         webhook_url=f"http://127.0.0.1:{web_port}/webhooks/clawops/")
    clawops = ClawOpsListReceiver("clawops", lists, API_KEY, SEGMENTS, SUMMARY)
    slack = SlackReceiver("slack")
    crm = CrmReceiver("crm", token=CRM_TOKEN)
    env = {
        **base_environment(),
        "DJANGO_SETTINGS_MODULE": "clawsite.settings",
        "DJANGO_SECRET_KEY": "e2e-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CLAWOPS_SIGNING_KEY": "sk_sign_e2e",
        "CLAWOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "CLAWOPS_API_KEY": API_KEY,
        "CLAWOPS_ACCOUNT_ID": ACCOUNT_ID,
        "CLAWOPS_BASE_URL": clawops.url,
        "SLACK_WEBHOOK_URL": slack.webhook_url,
        "CRM_API_URL": crm.api_url,
        "CRM_API_TOKEN": CRM_TOKEN,
        "ARTIFACT_POLL_DELAYS": "0,1,1",
        "CRM_MAX_WAIT_SECONDS": "3600",
        "JOB_RETRY_DELAYS": "1,1,1",
        "JOB_TIMEOUT_SECONDS": "10",
        "Q_CLUSTER_NAME": f"clawsite-e2e-reconcile-{uuid.uuid4().hex[:8]}",
        "Q_WORKERS": "2",
        "LOG_FORMAT": "json",
    }
    stack = Stack(project_dir=Path(settings.BASE_DIR), env=env, log_dir=tmp_path,
                  web_port=web_port, signing_key="sk_sign_e2e")
    try:
        stack.start_web()
        stack.start_worker()
        yield stack, lists, slack, crm
    finally:
        stack.stop()
        print(stack.logs())
        for receiver in (clawops, slack, crm):
            receiver.close()


def reconcile(stack: Stack) -> str:
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    return run_once([sys.executable, manage, "reconcile_clawops", "--since", "24h"],
                    stack.env, stack.project_dir)


def snapshot() -> dict[str, object]:
    return {
        "calls": sorted(Call.objects.values_list("call_id", "status", "duration")),
        "events": CallEvent.objects.count(),
        "jobs": sorted(Job.objects.values_list("kind", "subject", "state")),
        "recovered": RecoveredItem.objects.count(),
    }


def test_one_run_brings_in_the_calls_webhooks_missed_and_a_second_changes_nothing(world):
    stack, lists, slack, crm = world
    now = timezone.now()
    lists.calls = [  # newest first, none of them ever delivered by webhook
        call("CAe2eanswered", "completed", duration=95, from_="010-7777-8888",
             created=(now - timedelta(minutes=20)).isoformat(),
             updated=(now - timedelta(minutes=18)).isoformat()),
        call("CAe2emissed", "no-answer", from_="010-5555-1234",
             created=(now - timedelta(minutes=40)).isoformat(),
             updated=(now - timedelta(minutes=39)).isoformat()),
        call("CAe2ering", "ringing", created=(now - timedelta(minutes=1)).isoformat(),
             updated=None),
    ]
    lists.calls.insert(0, lists.calls.pop())  # the live call is the newest

    output = reconcile(stack)

    assert "calls: 3 checked, 3 recovered" in output
    states = dict(Call.objects.values_list("call_id", "status"))
    assert states == {"CAe2eanswered": "completed", "CAe2emissed": "no-answer",
                      "CAe2ering": "ringing"}
    wait_for_job(kinds.SLACK_MISSED_CALL, "CAe2emissed")
    wait_for_job(kinds.CRM_ACTIVITY, "CAe2eanswered")
    assert len(slack.requests("POST", SlackReceiver.PATH)) == 1
    assert "010-5555-1234" in slack.requests()[0].json["text"]
    assert Transcript.objects.get(call__call_id="CAe2eanswered").status == "completed"
    assert Summary.objects.get(call__call_id="CAe2eanswered").core_summary == "예약 문의"
    assert [request.json["call_id"] for request in crm.requests("POST", "/crm/activities")] == [
        "CAe2eanswered"]
    before = snapshot()

    assert "calls: 3 checked, 0 recovered" in reconcile(stack)

    stays(lambda: len(slack.requests()) == 1, "still exactly one Slack alert", seconds=2)
    assert snapshot() == before


def wait_for_job(kind: str, subject: str) -> Job:
    def done() -> Job | None:
        row = Job.objects.filter(kind=kind, subject=subject).first()
        return row if row is not None and row.state == JobState.DONE else None

    return wait_for(done, f"job {kind} {subject} done")
