"""clawsite/machine_routes.py: machine endpoints skip the admin's middleware, the admin and
every other URL keep all of it."""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from rest_framework.fields import Field

from calls.models import WebhookDelivery
from calls.signatures import clawops_signature
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db


def test_a_webhook_is_answered_without_the_admins_middleware(client):
    response = post_form(client, fixture("status_completed"))

    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 1
    # What the admin's middleware adds to every answer: none of it is here.
    assert "X-Frame-Options" not in response  # clickjacking
    assert "Content-Language" not in response  # locale
    assert "Vary" not in response  # session, locale
    assert not response.cookies  # session, CSRF


def test_a_webhook_for_a_host_that_is_not_allowed_is_refused(client):
    # As CommonMiddleware did: the Host header is still checked against ALLOWED_HOSTS.
    response = post_form(client, fixture("status_completed"), HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_the_admin_keeps_its_middleware(client):
    response = client.get("/admin/login/", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Language"] == "en"
    assert "csrftoken" in response.cookies


def test_a_url_that_is_not_a_machine_endpoint_goes_down_the_full_stack(client):
    # CommonMiddleware's APPEND_SLASH still redirects a webhook URL without its slash.
    response = client.get("/webhooks/clawops")

    assert response.status_code == 301
    assert response["Location"] == "/webhooks/clawops/"


def test_a_machine_answer_is_in_the_default_language_after_an_english_admin_page(
        client, settings):
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec_test"]
    client.get("/admin/login/", headers={"Accept-Language": "en"})  # leaves English active
    body = json.dumps({"order_id": "A-1", "customer_phone": "010-5555-1234",
                       "items": ["무선 이어폰"], "total_price": 1000}).encode()

    response = client.post("/webhooks/orders/", data=body, content_type="application/json",
                           headers={"X-Order-Signature": clawops_signature(body, "ordsec_test")})

    assert response.status_code == 400
    with translation.override("ko"):
        required = str(Field.default_error_messages["required"])
    assert required != "This field is required."  # the Korean catalogue is there
    assert response.json()["errors"]["customer_name"] == [required]
