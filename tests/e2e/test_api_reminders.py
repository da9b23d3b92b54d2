"""End to end: an appointment a booking system pushes through the API is reminded exactly
like one the front desk enters in admin — the same SMS and the same call reach a local
ClawOps stand-in, sent by a real `manage.py qcluster` worker, with the API request going to
a real web server (gunicorn) and the admin form posted as a logged-in staff member.

As in test_worker.py, waiting an hour for the reminder is simulated: the jobs'
due time is moved to now and the sweeper run once (it runs every minute in production).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from integrations.api import keys
from integrations.clinics import reminders
from integrations.jobs import kinds
from integrations.models import Appointment, Clinic, Job, JobState
from tests.e2e.receivers import Receiver, Recorded, Reply
from tests.e2e.stack import Stack, base_environment, database_url
from tests.e2e.waiting import free_port, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the end-to-end tests run the worker on PostgreSQL"),
]

SIGNING_KEY = "sk_sign_e2e_api"
CLAWOPS_KEY = "sk_e2e_api_key"
ACCOUNT_ID = "AC_e2e_api"
MESSAGES_PATH = f"/v1/accounts/{ACCOUNT_ID}/messages"
CALLS_PATH = f"/v1/accounts/{ACCOUNT_ID}/calls"


class ClawOpsSendingApi(Receiver):
    """The two ClawOps API creates reminders make — ``messages.create`` and
    ``calls.create`` — answered 201 in the API's camelCase shapes with fresh ids."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        super().__init__("clawops-sending")

    def answer(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Bearer {CLAWOPS_KEY}":
            return Reply(401, {"error": {"code": "unauthorized", "message": "bad key"}})
        sent = request.json or {}
        common = {"to": sent.get("To"), "from": sent.get("From"), "direction": "outbound",
                  "accountId": ACCOUNT_ID, "dateCreated": "2026-12-01T05:00:00Z"}
        if request.method == "POST" and request.path == MESSAGES_PATH:
            return Reply(201, {"messageId": f"MGe2e{next(self._ids)}", "status": "queued",
                               "type": "sms", **common})
        if request.method == "POST" and request.path == CALLS_PATH:
            return Reply(201, {"callId": f"CAe2e{next(self._ids)}", "status": "queued",
                               **common})
        return Reply(404, {"error": {"code": "not_found", "message": "no route"}})


@pytest.fixture(scope="module")
def clawops() -> Iterator[ClawOpsSendingApi]:
    receiver = ClawOpsSendingApi()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def api_stack(clawops: ClawOpsSendingApi, django_db_setup: None,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    web_port = free_port()
    env = {
        **base_environment(),
        "DJANGO_SETTINGS_MODULE": "clawsite.settings",
        "DJANGO_SECRET_KEY": "e2e-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CLAWOPS_SIGNING_KEY": SIGNING_KEY,
        "CLAWOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "CLAWOPS_API_KEY": CLAWOPS_KEY,
        "CLAWOPS_ACCOUNT_ID": ACCOUNT_ID,
        "CLAWOPS_BASE_URL": clawops.url,
        "JOB_TIMEOUT_SECONDS": "10",
        "OUTBOUND_TIMEOUT_SECONDS": "5",
        "Q_CLUSTER_NAME": f"clawsite-e2e-api-{uuid.uuid4().hex[:8]}",
        "Q_WORKERS": "1",
    }
    made = Stack(project_dir=Path(settings.BASE_DIR), env=env,
                 log_dir=tmp_path_factory.mktemp("e2e-api"), web_port=web_port,
                 signing_key=SIGNING_KEY)
    try:
        made.start_web()
        yield made
    finally:
        made.stop()


def make_due_now(kind: str) -> None:
    Job.objects.filter(kind=kind).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def all_done(kind: str, count: int) -> bool:
    return Job.objects.filter(kind=kind, state=JobState.DONE).count() == count


def test_an_appointment_from_the_api_is_reminded_exactly_like_one_from_admin(
        transactional_db: None, api_stack: Stack, clawops: ClawOpsSendingApi, tmp_path: Path
) -> None:
    stack = api_stack
    clawops.reset()
    # No quiet hours (start == end), so the test passes at any hour it runs.
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234", quiet_start=time(0, 0),
                                   quiet_end=time(0, 0))
    _row, api_key = keys.create_key(clinic, "예약 프로그램")
    starts_at = timezone.localtime(timezone.now() + timedelta(hours=3)).replace(
        second=0, microsecond=0)

    staff = get_user_model().objects.create_superuser("desk", "desk@example.com", "pw")
    admin = Client()
    admin.force_login(staff)
    entered = admin.post("/admin/integrations/appointment/add/", {
        "clinic": clinic.pk, "patient_name": "김민지", "phone": "010-5555-1234",
        "starts_at_0": f"{starts_at:%Y-%m-%d}", "starts_at_1": f"{starts_at:%H:%M}"})
    assert entered.status_code == 302, entered.content.decode()[:2000]
    pushed = httpx.post(f"{stack.web_url}/api/v1/appointments/", timeout=10, json={
        "external_id": "B-1001", "patient_name": "김민지", "phone": "+82 10 5555 1234",
        "starts_at": starts_at.isoformat()}, headers={"Authorization": f"Bearer {api_key}"})
    assert pushed.status_code == 201, pushed.text
    by_admin = Appointment.objects.get(external_id__isnull=True)
    by_api = Appointment.objects.get(external_id="B-1001")

    stack.new_worker(tmp_path / "worker.log")
    stack.start_worker()
    try:
        # An hour before: the SMS step.
        make_due_now(kinds.REMINDER_SMS)
        stack.sweep()
        wait_for(lambda: all_done(kinds.REMINDER_SMS, 2), "both reminder SMS to be sent")
        # Ten minutes later, neither patient has confirmed: the call step.
        make_due_now(kinds.REMINDER_CALL)
        stack.sweep()
        wait_for(lambda: all_done(kinds.REMINDER_CALL, 2), "both reminder calls to be placed")
    finally:
        print(stack.logs())

    sms = clawops.requests("POST", MESSAGES_PATH)
    calls = clawops.requests("POST", CALLS_PATH)
    assert len(sms) == len(calls) == 2
    # The same text to the same number from the same sender, whichever way it was entered.
    assert sms[0].json == sms[1].json
    assert sms[0].json["To"] == "01055551234"
    assert sms[0].json["Body"].startswith("[강남연세치과] 김민지님, ")

    def call_for(appointment: Appointment) -> dict:
        script = f"/voice/reminders/{appointment.pk}/1/"
        [placed] = [c.json for c in calls if c.json["Url"].endswith(script)]
        return {**placed, "Url": placed["Url"].replace(script, "/voice/reminders/<id>/1/")}

    assert call_for(by_admin) == call_for(by_api)
    assert call_for(by_api)["To"] == "01055551234"

    for appointment in (by_admin, by_api):
        appointment.refresh_from_db()
        assert appointment.reminder_message is not None
        assert appointment.reminder_call is not None
        assert {job.state for job in Job.objects.filter(
            subject=reminders.subject(appointment))} == {JobState.DONE}

    # And the booking system reads what happened.
    read = httpx.get(f"{stack.web_url}/api/v1/appointments/B-1001/", timeout=10,
                     headers={"Authorization": f"Bearer {api_key}"}).json()
    assert read["reminders"]["sms"]["state"] == read["reminders"]["call"]["state"] == "done"
