"""`GET /healthz`: the database, the worker's heartbeat and the queue lag, for any Host."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from calls.intake import DATABASE_UNAVAILABLE
from integrations import tasks
from integrations.models import Job, JobState
from integrations.periodic.models import PeriodicRun

pytestmark = pytest.mark.django_db


def test_it_answers_200_with_the_worker_and_the_queue(client):
    tasks.sweep()  # what the worker runs every minute: its heartbeat
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["last_seen_seconds_ago"] < 5
    assert body["queue"] == {"due_jobs": 0, "oldest_due_seconds": 0.0}


def test_it_reports_a_worker_never_seen_without_failing_a_fresh_install(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == {
        "status": "never seen", "last_seen_seconds_ago": None, "silent_after_seconds": 300}


def test_it_answers_503_when_the_worker_has_been_silent_past_the_threshold(client):
    with time_machine.travel(timezone.now() - timedelta(seconds=301), tick=False):
        tasks.sweep()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["worker"]["status"] == "silent"
    assert body["worker"]["last_seen_seconds_ago"] >= 301


@override_settings(WORKER_SILENT_AFTER_SECONDS=600)
def test_it_follows_the_silence_threshold_setting(client):
    PeriodicRun.objects.create(name="sweeper",
                               last_finished_at=timezone.now() - timedelta(seconds=400))
    assert client.get("/healthz").status_code == 200


def test_it_reports_the_queue_lag_of_the_oldest_due_job(client):
    tasks.sweep()
    now = timezone.now()
    Job.objects.create(kind="crm.activity", subject="CA1", state=JobState.PENDING,
                       next_attempt_at=now - timedelta(seconds=90))
    Job.objects.create(kind="crm.activity", subject="CA2", state=JobState.PENDING,
                       next_attempt_at=now + timedelta(hours=1))  # not due yet
    Job.objects.create(kind="crm.activity", subject="CA3", state=JobState.DONE,
                       next_attempt_at=now - timedelta(hours=1))  # finished
    queue = client.get("/healthz").json()["queue"]
    assert queue["due_jobs"] == 1
    assert 90 <= queue["oldest_due_seconds"] < 100


@override_settings(ALLOWED_HOSTS=["clinic.example.com"])
def test_it_answers_whatever_the_host_header(client):
    # A probe addressing the server by IP: Django's host check refuses the rest of the site.
    assert client.get("/admin/login/", HTTP_HOST="10.0.0.7").status_code == 400
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_it_answers_405_to_other_methods(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.parametrize("error", DATABASE_UNAVAILABLE)  # what the webhook intake answers 503 to
@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_is_unreachable(client, error):
    with mock.patch.object(connection, "ensure_connection",
                           side_effect=error("could not connect")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
