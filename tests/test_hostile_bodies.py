"""Signed but hostile bodies at every endpoint: stored (or refused) as the rules say, never
a 500. A ClawOps delivery is kept with its error and answered 200; a shop order is refused
with a clear 400 and nothing stored; a VoiceML request is refused with 400."""

import json
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from calls.models import Call, CallEvent, Message, WebhookDelivery
from calls.signatures import x_signature
from integrations.models import Appointment, AppointmentStatus, Clinic, Job, Order
from tests.helpers import fixture, post_form, post_json
from tests.integrations.orders.test_shop_order_webhook import ORDER, post_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def order_settings(settings):
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec_test"]


def assert_stored_once_as_failed(reason: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed"
    assert reason in delivery.error
    assert not Call.objects.exists()
    assert not CallEvent.objects.exists()
    assert not Message.objects.exists()
    return delivery


def test_it_stores_a_status_callback_whose_duration_has_5000_digits(client):
    response = post_form(client, dict(fixture("status_completed"), CallDuration="9" * 5000))

    assert response.status_code == 200
    assert_stored_once_as_failed("out of range")


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
                                    "1970-01-01T00:00:00Z"])
def test_it_stores_a_timestamp_at_the_edge_of_the_calendar_as_malformed(client, moment):
    response = post_form(client, dict(fixture("status_completed"), Timestamp=moment))

    assert response.status_code == 200
    assert_stored_once_as_failed("outside 2000–2099")


def test_it_stores_json_nested_50000_deep_with_its_error(client):
    body = b'{"event": "call.completed", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    assert post_json(client, body).status_code == 200
    delivery = assert_stored_once_as_failed("nested more than")
    assert bytes(delivery.body) == body


@pytest.mark.parametrize("value", ["\\u0000", "\\ud800", "a\\udfffb"])
def test_it_keeps_the_raw_body_but_refuses_nul_and_lone_surrogates_in_json(client, value):
    body = ('{"event": "call.completed", "call_id": "CA1", "status": "completed", '
            f'"from": "{value}"}}').encode()
    assert post_json(client, body).status_code == 200
    delivery = assert_stored_once_as_failed("JSON body refused")
    assert bytes(delivery.body) == body


def test_it_stores_a_huge_json_number_with_its_error(client):
    body = b'{"event": "call.completed", "call_id": "CA1", "duration": ' + b"9" * 5000 + b"}"
    assert post_json(client, body).status_code == 200
    assert_stored_once_as_failed("digits")


def test_it_keeps_header_values_storable(client):
    params = fixture("status_ringing")
    signature = x_signature("https://clinic.example.com/webhooks/clawops/", params, "sk_sign_test")
    response = client.post("/webhooks/clawops/", data=urlencode(params),
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Signature": signature, "User-Agent": "a\x00b"})
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().headers["User-Agent"] == "a\ufffdb"


def test_it_stores_what_a_reader_bug_raises_instead_of_answering_500(client, monkeypatch):
    def broken(data):
        raise KeyError("a reader bug")

    monkeypatch.setattr("calls.intake.parse_payload", broken)
    assert post_form(client, fixture("status_ringing")).status_code == 200
    assert_stored_once_as_failed("KeyError")


# --- the shop order webhook: a clear 400, nothing stored ------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    (json.dumps({**ORDER, "extra": 1}).encode()[:-1] + b', "deep": ' + b"[" * 50_000
     + b"]" * 50_000 + b"}", "body"),
    (json.dumps({**ORDER, "customer_name": "김\u0000민지"}).encode(), "customer_name"),
    (json.dumps({**ORDER, "items": [{"name": "이어폰", "note": "\u0000"}]}).encode(), "items"),
    (json.dumps({**ORDER, "order_id": "A-\ud800"}).encode(), "order_id"),
    (json.dumps({**ORDER, "\ud800": 1}).encode(), "body"),
    (json.dumps(ORDER).encode()[:-1] + b', "n": ' + b"9" * 5000 + b"}", "body"),
])
def test_it_refuses_a_hostile_order_with_400_and_stores_nothing(client, body, field):
    response = post_order(client, body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Order.objects.exists()
    assert not Job.objects.exists()


# --- VoiceML: refused with 400, nothing applied ------------------------------------------


@pytest.fixture
def appointment() -> Appointment:
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    return Appointment.objects.create(
        clinic=clinic, patient_name="김민지", phone="01055551234",
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("Asia/Seoul")))


@pytest.mark.parametrize("digits", ["\x00", "1\x00"])
def test_it_refuses_a_gather_whose_digits_hold_a_nul_byte(client, appointment, digits):
    path = f"/voice/reminders/{appointment.pk}/{appointment.cycle}/gather/"
    response = post_form(client, {"CallId": "CArem1", "Digits": digits}, path=path)

    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.staff_note == ""


def test_it_refuses_a_gather_over_the_size_limit_with_413(client, appointment):
    path = f"/voice/reminders/{appointment.pk}/{appointment.cycle}/gather/"
    response = post_form(client, {"CallId": "CArem1", "Digits": "1", "Pad": "x" * 300_000},
                         path=path)

    assert response.status_code == 413
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
