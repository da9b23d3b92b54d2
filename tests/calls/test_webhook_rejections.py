"""Bad input on POST /webhooks/clawops/ (product.md §5 rules 1, 2 and 5).

Unsigned or wrongly signed: 401 and nothing stored. Signed but unreadable: stored with
its error and answered 200, so the sender stops retrying and staff can look.
"""

import json
import logging
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection

from calls.models import Call, CallEvent, Message, WebhookDelivery
from calls.signatures import clawops_signature, x_signature
from tests.helpers import WEBHOOK_PATH, fixture, post_form, post_json

pytestmark = pytest.mark.django_db


def assert_nothing_stored():
    assert not WebhookDelivery.objects.exists()
    assert not Call.objects.exists()
    assert not CallEvent.objects.exists()
    assert not Message.objects.exists()


def test_it_rejects_a_delivery_without_a_signature(client):
    response = client.post(WEBHOOK_PATH, data="CallId=CA1&CallStatus=ringing",
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 401
    assert "missing signature" in response.json()["error"]
    assert_nothing_stored()


def test_it_rejects_a_form_signed_with_an_unknown_key(client):
    response = post_form(client, fixture("status_completed"), key="not-our-key")

    assert response.status_code == 401
    assert response.json() == {"error": "signature does not match"}
    assert_nothing_stored()


def test_it_rejects_a_form_signed_for_another_url(client, settings):
    params = fixture("status_completed")
    signature = x_signature("http://testserver/webhooks/clawops/", params, "sk_sign_test")
    assert post_form(client, params, signature=signature).status_code == 401
    assert_nothing_stored()


def test_it_rejects_a_tampered_form(client):
    params = fixture("status_no_answer")
    signature = x_signature("https://clinic.example.com/webhooks/clawops/", params, "sk_sign_test")
    tampered = dict(params, CallStatus="completed")
    assert post_form(client, tampered, signature=signature).status_code == 401
    assert_nothing_stored()


def test_it_rejects_json_signed_with_the_wrong_secret(client):
    response = post_json(client, fixture("json_call_completed"), secret="whsec_other")
    assert response.status_code == 401
    assert_nothing_stored()


def test_it_rejects_json_carrying_only_an_x_signature(client):
    body = json.dumps(fixture("json_call_completed"))
    signature = x_signature("https://clinic.example.com/webhooks/clawops/", {}, "sk_sign_test")
    response = client.post(WEBHOOK_PATH, data=body, content_type="application/json",
                           headers={"X-Signature": signature})
    assert response.status_code == 401
    assert_nothing_stored()


def test_it_rejects_a_scheme_whose_secret_is_not_configured(client, settings):
    settings.CLAWOPS_WEBHOOK_SECRETS = []
    response = post_json(client, fixture("json_call_completed"), secret="whsec_test")
    assert response.status_code == 401
    assert_nothing_stored()


def test_it_accepts_any_of_several_keys_during_rotation(client, settings):
    for key in settings.CLAWOPS_SIGNING_KEYS:
        params = dict(fixture("status_ringing"), CallId=f"CA-{key}")
        assert post_form(client, params, key=key).status_code == 200
    assert Call.objects.count() == 2


def test_it_verifies_the_url_rebuilt_from_the_public_base_url_and_query(client, settings):
    settings.CLAWOPS_PUBLIC_BASE_URL = "https://calls.example.kr/prefix"
    params = fixture("status_ringing")
    url = "https://calls.example.kr/prefix/webhooks/clawops/?tenant=gangnam"
    response = client.post(
        "/webhooks/clawops/?tenant=gangnam",
        data="&".join(f"{k}={v}" for k, v in params.items()).replace("+", "%2B"),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Signature": x_signature(url, params, "sk_sign_test")},
    )
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().url == url


def test_it_logs_header_names_but_never_signature_values(client, caplog):
    with caplog.at_level(logging.WARNING, logger="calls.views"):
        post_form(client, fixture("status_completed"), signature="c2VjcmV0LXNpZ25hdHVyZQ==")
    assert "X-Signature" in caplog.text
    assert "c2VjcmV0LXNpZ25hdHVyZQ==" not in caplog.text


def test_it_answers_413_to_a_body_over_256_kib_and_stores_nothing(client):
    params = dict(fixture("message_received"), Body="가" * (90 * 1024))
    response = post_form(client, params)

    assert response.status_code == 413
    assert "262144" in response.json()["error"]
    assert_nothing_stored()


def test_it_stores_a_signed_body_that_is_not_well_formed_form_encoding(client):
    body = b"CallId=CA1&CallStatus"  # a field without "="
    url = "https://clinic.example.com/webhooks/clawops/"
    signature = x_signature(url, {"CallId": "CA1", "CallStatus": ""}, "sk_sign_test")
    response = client.post(WEBHOOK_PATH, data=body,
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Signature": signature})

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed"
    assert "malformed form body" in delivery.error
    assert bytes(delivery.body) == body
    assert not Call.objects.exists()


def test_it_stores_signed_malformed_json_with_its_error(client):
    body = b'{"event": "call.completed", "call_id": '
    response = post_json(client, body)

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.scheme) == ("failed", "clawops-signature")
    assert "malformed JSON" in delivery.error
    assert bytes(delivery.body) == body


def test_it_stores_signed_json_that_is_not_an_object(client):
    post_json(client, b'["call.completed"]')
    assert "must be an object" in WebhookDelivery.objects.get().error


def test_it_stores_a_signed_form_with_a_nul_byte_without_applying_it(client):
    response = post_form(client, dict(fixture("status_completed"), HangupCause="normal\x00x"))

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed"
    assert "NUL byte" in delivery.error
    assert b"%00" in bytes(delivery.body)
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"event": "call.completed", "call_id": "CA1", "status": "completed", "duration": "long"},
         "whole number"),
        ({"event": "call.completed", "call_id": ["CA1"], "status": "completed"}, "must be text"),
        ({"event": "call.completed", "call_id": "CA1", "status": "completed", "duration": True},
         "boolean"),
        ({"event": "call.completed", "call_id": "CA1", "created_at": "yesterday"}, "ISO 8601"),
        ({"event": "call.completed", "call_id": "CA1", "direction": "sideways"},
         "neither inbound nor outbound"),
        ({"event": "call.completed", "status": "completed"}, "missing or empty"),
    ],
)
def test_it_stores_signed_json_with_wrong_types_with_a_clear_error(client, payload, message):
    assert post_json(client, payload).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed"
    assert message in delivery.error
    assert not Call.objects.exists()


def test_it_stores_an_unknown_call_status_with_its_error(client):
    response = post_form(client, dict(fixture("status_completed"), CallStatus="exploded"))

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.error) == ("failed", "unknown call status 'exploded'")
    assert not Call.objects.exists()


def test_it_stores_an_unknown_message_status_with_its_error(client):
    post_form(client, dict(fixture("message_sent"), Status="teleported"))
    assert "unknown message status" in WebhookDelivery.objects.get().error
    assert not Message.objects.exists()


def test_it_stores_a_delivery_whose_apply_fails_and_keeps_earlier_state(client):
    post_form(client, fixture("status_ringing"))
    with mock.patch("calls.store.insert_call_event", side_effect=RuntimeError("disk on fire")), \
            mock.patch("calls.intake.single_statement_available", return_value=False):
        response = post_form(client, fixture("status_completed"))

    assert response.status_code == 200
    failed = WebhookDelivery.objects.get(outcome="failed")
    assert "disk on fire" in failed.error
    # The savepoint rolled the call's update back with the event.
    assert Call.objects.get().status == "ringing"


# transaction=True: a failed query inside the test's own transaction would poison it.
@pytest.mark.django_db(transaction=True)
def test_it_answers_503_and_stores_nothing_when_the_database_is_unreachable(client):
    with mock.patch.object(connection, "ensure_connection",
                           side_effect=OperationalError("could not connect to server")):
        response = post_form(client, fixture("status_completed"))

    assert response.status_code == 503
    assert response.json() == {"error": "database unavailable, retry later"}
    assert_nothing_stored()


@pytest.mark.parametrize(
    "send",
    [lambda client: post_form(client, fixture("message_received")),
     lambda client: post_form(client, fixture("agent_connected")),
     lambda client: post_json(client, b"not json")],
    ids=["message", "unknown kind", "malformed"],
)
@pytest.mark.django_db(transaction=True)
def test_it_answers_503_for_every_kind_when_the_database_is_unreachable(client, send):
    with mock.patch.object(connection, "ensure_connection",
                           side_effect=OperationalError("could not connect to server")):
        assert send(client).status_code == 503
    assert_nothing_stored()


def test_it_does_not_store_a_signed_body_before_checking_its_size(client):
    body = json.dumps({"event": "call.completed", "pad": "x" * 300_000}).encode()
    response = client.post(WEBHOOK_PATH, data=body, content_type="application/json",
                           headers={"X-ClawOps-Signature": clawops_signature(body, "whsec_test")})
    assert response.status_code == 413
    assert_nothing_stored()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates a PostgreSQL backend")
@pytest.mark.django_db(transaction=True)
def test_it_reconnects_once_when_the_server_dropped_a_kept_alive_connection(client):
    import psycopg

    post_form(client, fixture("status_ringing"))  # the connection is open and kept
    pid = connection.connection.info.backend_pid
    settings_dict = connection.settings_dict
    with psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432,
                         user=settings_dict["USER"], dbname=settings_dict["NAME"],
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    response = post_form(client, fixture("status_completed"))

    assert response.status_code == 200
    assert Call.objects.get().status == "completed"


def test_it_accepts_json_that_also_carries_an_x_signature(client):
    # ClawOps may add X-Signature to every delivery; on JSON the body signature decides.
    body = json.dumps(fixture("json_call_completed")).encode()
    response = client.post(WEBHOOK_PATH, data=body, content_type="application/json", headers={
        "X-Signature": "bm90LWZvci1qc29u", "X-ClawOps-Signature": clawops_signature(
            body, "whsec_test")})
    assert response.status_code == 200
    assert Call.objects.get().status == "completed"


def test_it_reads_a_form_verified_by_the_body_signature_as_a_form(client):
    body = urlencode(fixture("status_ringing")).encode()
    response = client.post(WEBHOOK_PATH, data=body,
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-ClawOps-Signature": clawops_signature(body, "whsec_test")})
    assert response.json()["outcome"] == "processed"
    assert Call.objects.get().status == "ringing"


@pytest.mark.parametrize(
    ("body", "message"),
    [(urlencode({"CallId": "CA1", "CallStatus": "completed", "CallDuration": "²"}).encode(),
      "whole number"),
     (b"[" * 100_000 + b"]" * 100_000, "nested more than")],
    ids=["superscript digit", "deeply nested JSON"],
)
def test_it_stores_bodies_that_trip_the_parsers_instead_of_failing(client, body, message):
    content_type = "application/json" if body.startswith(b"[") else (
        "application/x-www-form-urlencoded")
    response = client.post(WEBHOOK_PATH, data=body, content_type=content_type,
                           headers={"X-ClawOps-Signature": clawops_signature(body, "whsec_test")})
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed"
    assert message in delivery.error
