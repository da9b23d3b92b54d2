"""`GET /metrics`: bearer token, the Prometheus names, and values read from the database."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from calls.models import WebhookDelivery
from integrations.models import Job, JobState
from integrations.periodic.models import DeliveryTally, PeriodicRun
from integrations.reconciliation.models import FailedClawOpsDelivery, RecoveredItem
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db
TOKEN = "metrics-test-token"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **AUTH, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_it_is_off_without_a_token(client):
    response = client.get("/metrics")
    assert response.status_code == 404
    assert b"METRICS_TOKEN" in response.content


@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_it_refuses_a_missing_or_wrong_token(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"clawsite_" not in response.content


@override_settings(METRICS_TOKEN=TOKEN, ALLOWED_HOSTS=["clinic.example.com"])
def test_it_answers_a_scraper_that_uses_an_ip(client):
    assert client.get("/metrics", HTTP_HOST="10.0.0.9", **AUTH).status_code == 200


@override_settings(METRICS_TOKEN=TOKEN)
def test_it_reports_the_seeded_figures(client):
    post_form(client, fixture("status_completed"))
    post_form(client, fixture("status_completed"))  # the same event again: duplicate
    post_form(client, {"CallId": "CAx", "CallStatus": "exploded"})  # stored, needs attention
    now = timezone.now()
    for subject, state, due in [("CA1", JobState.PENDING, now - timedelta(seconds=120)),
                                ("CA2", JobState.PENDING, now + timedelta(hours=1)),
                                ("CA3", JobState.FAILED, None)]:
        Job.objects.create(kind="crm.activity", subject=subject, state=state,
                           next_attempt_at=due)
    Job.objects.create(kind="slack.missed_call", subject="CA4", state=JobState.DONE)
    PeriodicRun.objects.create(name="sweeper", last_finished_at=now - timedelta(seconds=42))
    PeriodicRun.objects.create(name="reconciliation",
                               last_finished_at=now - timedelta(seconds=300))
    RecoveredItem.objects.create(kind="call", reference="CAr1", status_after="no-answer")
    RecoveredItem.objects.create(kind="call", reference="CAr2", status_after="completed")
    RecoveredItem.objects.create(kind="message", reference="MGr1", status_after="received")
    FailedClawOpsDelivery.objects.create(log_id="L1", webhook_id="WH1", event="message.sent",
                                         request_url="https://x/", created_at=now)

    with time_machine.travel(now, tick=False):
        values = scrape(client)

    deliveries = {o: values[("clawsite_webhook_deliveries_total", (("outcome", o),))]
                  for o in ("processed", "duplicate", "ignored", "failed")}
    assert deliveries == {"processed": 1, "duplicate": 1, "ignored": 0, "failed": 1}
    assert sum(deliveries.values()) == WebhookDelivery.objects.count()
    jobs = {labels: value for (name, labels), value in values.items() if name == "clawsite_jobs"}
    assert jobs == {  # the completed call's two follow-ups, and the seeded rows but done
        (("kind", "clawops.artifacts"), ("state", "pending")): 1,
        (("kind", "crm.activity"), ("state", "pending")): 3,
        (("kind", "crm.activity"), ("state", "failed")): 1,
    }
    assert values[("clawsite_jobs_due", ())] == 1
    assert values[("clawsite_oldest_due_job_age_seconds", ())] == 120
    assert values[("clawsite_worker_heartbeat_age_seconds", ())] == 42
    assert values[("clawsite_periodic_task_age_seconds", (("task", "sweeper"),))] == 42
    assert values[("clawsite_periodic_task_age_seconds", (("task", "reconciliation"),))] == 300
    assert values[("clawsite_reconciliation_recoveries_total", (("kind", "call"),))] == 2
    assert values[("clawsite_reconciliation_recoveries_total", (("kind", "message"),))] == 1
    assert values[("clawsite_clawops_failed_deliveries_total", ())] == 1


@override_settings(METRICS_TOKEN=TOKEN)
def test_it_reports_zeros_and_no_heartbeat_on_an_empty_database(client):
    values = scrape(client)
    assert values[("clawsite_webhook_deliveries_total", (("outcome", "processed"),))] == 0
    assert values[("clawsite_oldest_due_job_age_seconds", ())] == 0
    assert ("clawsite_worker_heartbeat_age_seconds", ()) not in values


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_deliveries_counter_adds_the_sweepers_tally_and_what_came_since(client):
    from integrations import tasks

    with time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False):
        for status in ("ringing", "completed", "exploded"):
            post_form(client, {"CallId": "CAt1", "CallStatus": status})
    post_form(client, {"CallId": "CAt1", "CallStatus": "completed"})  # recent: not tallied
    tasks.sweep()  # tallies the three older deliveries
    tally = {row.outcome: (row.count, row.up_to_id) for row in DeliveryTally.objects.all()}
    assert tally["processed"][0] == 2 and tally["failed"][0] == 1
    # A replay changes the row's outcome, not what the counter says was accepted.
    WebhookDelivery.objects.filter(outcome="failed").update(outcome="processed")
    post_form(client, {"CallId": "CAt2", "CallStatus": "no-answer"})

    values = scrape(client)

    deliveries = {o: values[("clawsite_webhook_deliveries_total", (("outcome", o),))]
                  for o in ("processed", "duplicate", "ignored", "failed")}
    assert deliveries == {"processed": 3, "duplicate": 1, "ignored": 0, "failed": 1}
    tasks.sweep()  # nothing new has settled: the tally stays where it was
    assert {row.outcome: (row.count, row.up_to_id)
            for row in DeliveryTally.objects.all()} == tally
