"""POST /webhooks/orders/: signed shop orders, stored once, answered 202 at once (S2)."""

import json

import pytest
import respx
from django.db import OperationalError, connection
from django.test import Client

from calls.signatures import clawops_signature
from integrations.jobs import kinds
from integrations.models import Job, JobState, Order, OrderStatus
from integrations.orders import confirmation_calls
from tests.clawops_api import API, call_created
from tests.helpers import post_in_parallel
from tests.integrations.api.api_client import assert_problem

pytestmark = pytest.mark.django_db
PATH = "/webhooks/orders/"
SECRET = "ordsec_test"
ORDER = {
    "order_id": "A-1024",
    "customer_phone": "010-5555-1234",
    "customer_name": "김민지",
    "items": ["무선 이어폰", {"name": "충전 케이블", "quantity": 2}],
    "total_price": 12000,
}


@pytest.fixture(autouse=True)
def order_settings(settings):
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec_old", SECRET]
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_order"


def post_order(client: Client, payload: dict | bytes = ORDER, *, secret: str = SECRET,
               signature: str | None = None, sign: bool = True):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if sign:
        headers["X-Order-Signature"] = (clawops_signature(body, secret) if signature is None
                                        else signature)
    return client.post(PATH, data=body, content_type="application/json", headers=headers)


def with_field(**changes) -> dict:
    return {**ORDER, **changes}


def without(field: str) -> dict:
    return {key: value for key, value in ORDER.items() if key != field}


def assert_nothing_stored() -> None:
    assert not Order.objects.exists()
    assert not Job.objects.exists()


def test_it_stores_a_signed_order_and_answers_202_at_once(client):
    response = post_order(client)

    assert response.status_code == 202
    assert response.json() == {"status": "call_initiated"}
    order = Order.objects.get()
    assert order.order_id == "A-1024"
    assert order.customer_name == "김민지"
    assert order.customer_phone == "01055551234"
    assert order.customer_phone_raw == "010-5555-1234"
    assert order.items == [{"name": "무선 이어폰"}, {"name": "충전 케이블", "quantity": 2}]
    assert order.total_price == 12000
    assert order.status == OrderStatus.RECEIVED
    assert bytes(order.raw_body) == json.dumps(ORDER).encode()


def test_it_writes_the_confirmation_call_as_a_ledger_job(client):
    post_order(client)

    job = Job.objects.get()
    assert job.kind == kinds.ORDER_CONFIRMATION_CALL
    assert job.subject == "order:A-1024:attempt:1"
    assert job.state == JobState.PENDING
    assert job.payload == {"order": Order.objects.get().pk, "attempt": 1}


@respx.mock
def test_it_makes_no_outbound_request_inside_the_request(
        client, django_capture_on_commit_callbacks):
    placed = respx.post(f"{API}/calls")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert post_order(client).status_code == 202

    assert not placed.called
    assert len(callbacks) == 1  # the queue message, sent once the order is committed


def test_it_accepts_every_configured_secret(client):
    assert post_order(client, secret="ordsec_old").status_code == 202


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "not-a-signature"])
def test_it_rejects_a_missing_or_wrong_signature_and_stores_nothing(client, signature):
    response = post_order(client, signature=signature, sign=signature is not None)

    assert_problem(response, 401)
    assert_nothing_stored()


def test_it_rejects_a_signature_made_with_another_secret(client):
    assert post_order(client, secret="somebody-elses").status_code == 401
    assert_nothing_stored()


def test_it_rejects_a_signature_of_another_body(client):
    signature = clawops_signature(json.dumps(with_field(total_price=1)).encode(), SECRET)
    assert post_order(client, signature=signature).status_code == 401
    assert_nothing_stored()


def test_it_answers_503_when_no_secret_is_configured(client, settings):
    settings.ORDER_WEBHOOK_SECRETS = []

    response = post_order(client)

    assert "ORDER_WEBHOOK_SECRET" in assert_problem(response, 503)["detail"]
    assert_nothing_stored()


def test_it_refuses_bodies_over_256_kib_before_anything_else(client):
    big = with_field(items=["가" * 1000] * 100)  # about 300 KB of UTF-8
    body = json.dumps(big, ensure_ascii=False).encode()
    assert len(body) > 256 * 1024

    assert_problem(post_order(client, body), 413)
    assert_nothing_stored()


@pytest.mark.parametrize(("payload", "field"), [
    (without("order_id"), "order_id"),
    (with_field(order_id=""), "order_id"),
    (with_field(order_id="x" * 65), "order_id"),
    (without("customer_name"), "customer_name"),
    (with_field(customer_name="   "), "customer_name"),
    (without("customer_phone"), "customer_phone"),
    (with_field(customer_phone="+1 415 555 0100"), "customer_phone"),
    (with_field(customer_phone="전화 없음"), "customer_phone"),
    (with_field(customer_phone="1234"), "customer_phone"),
    # The right number of digits, but no one's number in Korea.
    (with_field(customer_phone="0000000000"), "customer_phone"),
    (with_field(customer_phone="099-1234-5678"), "customer_phone"),
    (with_field(customer_phone="1234-5678"), "customer_phone"),
    (without("items"), "items"),
    (with_field(items=[]), "items"),
    (with_field(items="무선 이어폰"), "items"),
    (with_field(items=[""]), "items"),
    (with_field(items=[5]), "items"),
    (with_field(items=[{"quantity": 1}]), "items"),
    (with_field(items=["이어폰\x00"]), "items"),
    (with_field(items=["가" * 201]), "items"),
    (with_field(customer_name="김\x00민지"), "customer_name"),
    (with_field(items=[{"name": "충전 케이블", "quantity": 0}]), "items"),
    (with_field(items=[{"name": "충전 케이블", "quantity": "2"}]), "items"),
    (without("total_price"), "total_price"),
    (with_field(total_price=-1), "total_price"),
    (with_field(total_price="12000"), "total_price"),
    (with_field(total_price=12000.5), "total_price"),
    (with_field(total_price=True), "total_price"),
    (with_field(total_price=None), "total_price"),
])
def test_it_answers_400_with_the_field_that_is_wrong(client, payload, field):
    response = post_order(client, payload)

    errors = assert_problem(response, 400)["errors"]
    assert list(errors) == [field]
    assert errors[field] and all(isinstance(message, str) for message in errors[field])
    assert_nothing_stored()


def test_it_lists_every_wrong_field_at_once(client):
    response = post_order(client, {"order_id": "A-1", "items": [], "total_price": -5})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"customer_name", "customer_phone", "items",
                                              "total_price"}
    assert_nothing_stored()


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"order"'])
def test_it_answers_400_for_a_body_that_is_not_a_json_object(client, body):
    response = post_order(client, body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]
    assert_nothing_stored()


@pytest.mark.parametrize("phone", ["+82 10-5555-1234", "01055551234", "(010) 5555 1234",
                                   "02-123-4567", "070-5235-1234", "1588-1234"])
def test_it_accepts_korean_numbers_in_any_common_format(client, phone):
    assert post_order(client, with_field(customer_phone=phone)).status_code == 202


@pytest.mark.parametrize("phone", ["+82 10-5555-1234", "(010) 5555 1234", "1055551234"])
def test_it_stores_the_number_in_the_domestic_form_the_call_goes_to(client, phone):
    # "1055551234": a number whose leading 0 a spreadsheet dropped.
    assert post_order(client, with_field(customer_phone=phone)).status_code == 202

    order = Order.objects.get()
    assert (order.customer_phone, order.customer_phone_raw) == ("01055551234", phone)


def test_it_stores_a_resent_order_once_and_places_no_second_call(client):
    first = post_order(client)
    # The same order in another spelling: keys reordered, the number in another format.
    again = post_order(client, {**dict(reversed(ORDER.items())),
                                "customer_phone": "+82 10 5555 1234"})

    assert first.status_code == again.status_code == 202
    assert again.json() == {"status": "call_initiated", "duplicate": True}
    assert Order.objects.count() == 1
    assert Job.objects.count() == 1


def test_a_resent_order_id_with_other_content_answers_409_and_keeps_the_first(client):
    post_order(client)
    kept = list(Order.objects.values())

    response = post_order(client, with_field(total_price=99000, customer_name="김민수"))

    problem = assert_problem(response, 409)
    assert set(problem["errors"]) == {"total_price", "customer_name"}
    assert list(Order.objects.values()) == kept
    assert Job.objects.count() == 1


def test_order_problems_are_korean_when_asked_for(client):
    body = json.dumps(with_field(total_price=-1)).encode()
    response = client.post(PATH, data=body, content_type="application/json", headers={
        "X-Order-Signature": clawops_signature(body, SECRET), "Accept-Language": "ko"})

    problem = assert_problem(response, 400)
    assert problem["title"] == "잘못된 요청"
    assert problem["errors"] == {"total_price": ["금액은 0 이상이어야 합니다."]}
    assert_nothing_stored()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_order_and_places_one_call_when_copies_arrive_in_parallel():
    # Committed for real here, so each job runs at once (Q_CLUSTER sync in tests).
    with respx.mock:
        placed = respx.post(f"{API}/calls").mock(return_value=call_created("CAorder1"))
        statuses = post_in_parallel(10, post_order)

    assert sorted(statuses) == [202] * 10
    assert Order.objects.count() == 1
    assert Job.objects.get(kind=kinds.ORDER_CONFIRMATION_CALL).state == JobState.DONE
    assert placed.call_count == 1


def test_it_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def unreachable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(confirmation_calls, "receive", unreachable)

    response = post_order(client)

    assert "retry" in assert_problem(response, 503)["detail"]


def test_it_needs_no_login_and_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert post_order(client).status_code == 202


def test_it_only_accepts_post(client):
    assert_problem(client.get(PATH), 405)
    assert_nothing_stored()
