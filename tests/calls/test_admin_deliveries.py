"""Admin for raw webhook deliveries: reading them, finding failed ones, replaying them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import vocabulary
from calls.models import Call, WebhookDelivery
from tests.helpers import fixture, post_form, post_json

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:calls_webhookdelivery_changelist")
EXPLODED = dict(fixture("status_completed"), CallStatus="exploded")


def failed_delivery(client) -> WebhookDelivery:
    """A signed status callback whose status today's code does not know: stored failed."""
    assert post_form(client, EXPLODED).json()["outcome"] == "failed"
    return WebhookDelivery.objects.get(outcome="failed")


def listed(response) -> list[WebhookDelivery]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def replay_action(client, *deliveries: WebhookDelivery):
    return client.post(
        DELIVERIES,
        {"action": "replay", "_selected_action": [d.pk for d in deliveries], "index": 0},
        follow=True,
    )


def test_it_lists_deliveries_and_highlights_failed_ones(admin_client):
    post_form(admin_client, fixture("status_ringing"))
    failed_delivery(admin_client)

    response = admin_client.get(DELIVERIES)

    page = response.content.decode()
    assert len(listed(response)) == 2
    assert '<strong class="cs-alert">확인 필요</strong>' in page
    assert "unknown call status &#x27;exploded&#x27;" in page  # the error excerpt
    assert "CA7e1f2a" in page  # the call link of the one that was applied


def test_it_filters_deliveries_by_outcome_kind_and_scheme(admin_client):
    post_form(admin_client, fixture("status_ringing"))
    post_json(admin_client, fixture("json_message_received"))
    failed = failed_delivery(admin_client)

    assert listed(admin_client.get(DELIVERIES, {"outcome__exact": "failed"})) == [failed]
    by_kind = listed(admin_client.get(DELIVERIES, {"kind__exact": "message"}))
    assert [d.kind for d in by_kind] == ["message"]
    by_scheme = listed(admin_client.get(DELIVERIES, {"scheme__exact": "clawops-signature"}))
    assert [d.scheme for d in by_scheme] == ["clawops-signature"]


def test_it_shows_the_decoded_body_headers_and_error(admin_client):
    post_form(admin_client, fixture("transfer_connected"))
    delivery = failed_delivery(admin_client)
    connected = WebhookDelivery.objects.exclude(pk=delivery.pk).get()

    failed_page = admin_client.get(
        reverse("admin:calls_webhookdelivery_change", args=[delivery.pk])).content.decode()
    transfer_page = admin_client.get(
        reverse("admin:calls_webhookdelivery_change", args=[connected.pk])).content.decode()

    assert "CallStatus = exploded" in failed_page
    assert "unknown call status" in failed_page
    assert "application/x-www-form-urlencoded" in failed_page  # the kept Content-Type header
    assert "TransferReason = 예약 변경" in transfer_page  # percent-encoded on the wire


def test_it_keeps_deliveries_read_only(admin_client):
    delivery = failed_delivery(admin_client)
    change = reverse("admin:calls_webhookdelivery_change", args=[delivery.pk])

    assert admin_client.get(reverse("admin:calls_webhookdelivery_add")).status_code == 403
    assert admin_client.post(change, {"outcome": "processed"}).status_code == 403
    delete = reverse("admin:calls_webhookdelivery_delete", args=[delivery.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert WebhookDelivery.objects.get().outcome == "failed"


def test_it_registers_the_replay_action(admin_user):
    request = RequestFactory().get(DELIVERIES)
    request.user = admin_user

    actions = admin.site.get_model_admin(WebhookDelivery).get_actions(request)

    assert "replay" in actions
    assert "delete_selected" not in actions


def test_it_offers_replay_only_to_staff_who_may_change_deliveries(db):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    request = RequestFactory().get(DELIVERIES)
    request.user = viewer

    assert "replay" not in admin.site.get_model_admin(WebhookDelivery).get_actions(request)


def test_it_replays_a_failed_delivery_after_a_fix(admin_client, monkeypatch):
    delivery = failed_delivery(admin_client)
    assert not Call.objects.exists()
    # The fix: today's code learns the status it did not know.
    monkeypatch.setitem(vocabulary.CALL_STAGE_ALIASES, "exploded", "completed")

    response = replay_action(admin_client, delivery)

    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1건 재처리: 처리됨 1건"]
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.kind, delivery.error) == ("processed", "call_status", "")
    assert delivery.replayed_at is not None
    call = Call.objects.get(call_id="CA7e1f2a")
    assert (call.status, call.duration) == ("completed", 120)
    assert delivery.call == call


def test_it_reports_replay_outcomes_by_kind(admin_client):
    post_form(admin_client, fixture("status_ringing"))
    ringing = WebhookDelivery.objects.get()
    failed = failed_delivery(admin_client)

    response = replay_action(admin_client, ringing, failed)

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["2건 재처리: 처리됨 1건, 확인 필요 1건"]
    failed.refresh_from_db()
    assert failed.outcome == "failed"


def test_it_refuses_a_replay_without_the_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    delivery = failed_delivery(client)

    response = client.post(
        DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk], "index": 0})

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.replayed_at is None


def test_the_list_does_not_read_the_bodies(admin_client, client):
    post_form(client, fixture("status_completed"))
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/calls/webhookdelivery/")

    assert response.status_code == 200
    listing = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith("SELECT") and "calls_webhookdelivery" in q["sql"]]
    assert listing and not any('"body"' in sql for sql in listing)
