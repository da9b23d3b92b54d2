"""Admin for what reconciliation found: the deliveries ClawOps gave up on, and whether what
each was about reached clawsite anyway."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Message
from integrations.reconciliation.models import FailedClawOpsDelivery

pytestmark = pytest.mark.django_db

FAILURES = reverse("admin:integrations_failedclawopsdelivery_changelist")


def failure(log_id: str, reference: str) -> FailedClawOpsDelivery:
    return FailedClawOpsDelivery.objects.create(
        log_id=log_id, webhook_id="WH1", event="call.status", reference=reference,
        request_url="https://clinic.example.com/webhooks/clawops/", response_status=503,
        attempt=5, max_attempts=5, created_at=timezone.now())


def known(response) -> dict[str, bool | None]:
    assert response.status_code == 200
    admin = response.context["cl"].model_admin
    return {row.log_id: admin.now_known(row) for row in response.context["cl"].result_list}


def test_it_says_which_failed_deliveries_reached_clawsite_anyway(admin_client):
    Call.objects.create(call_id="CAknown", direction="inbound", status="completed",
                        started_at=timezone.now())
    Message.objects.create(message_id="MGknown", direction="inbound", status="received",
                           created_at=timezone.now())
    failure("L1", "CAknown")
    failure("L2", "MGknown")
    failure("L3", "CAlost")
    failure("L4", "")

    assert known(admin_client.get(FAILURES)) == {
        "L1": True, "L2": True, "L3": False, "L4": None}


def test_it_lists_failed_deliveries_without_a_query_per_row(admin_client):
    failure("L1", "CAlost1")
    with CaptureQueriesContext(connection) as one_row:
        known(admin_client.get(FAILURES))
    for n in range(2, 8):
        failure(f"L{n}", f"CAlost{n}")
    with CaptureQueriesContext(connection) as seven_rows:
        assert len(known(admin_client.get(FAILURES))) == 7

    assert len(seven_rows) == len(one_row)
