"""clawsite/machine_routes.py: machine endpoints skip the admin's middleware, the admin and
every other URL keep all of it."""

from __future__ import annotations

from unittest import mock
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from calls import intake
from calls.models import WebhookDelivery
from calls.signatures import x_signature
from clawsite.machine_routes import MachineRoutesMiddleware
from tests.helpers import WEBHOOK_PATH, fixture, post_form

pytestmark = pytest.mark.django_db


def signature_for(fields: dict[str, str]) -> str:
    url = settings.CLAWOPS_PUBLIC_BASE_URL + WEBHOOK_PATH
    return x_signature(url, fields, settings.CLAWOPS_SIGNING_KEYS[-1])


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


def test_a_machine_view_runs_in_the_default_language_after_an_english_admin_page(client):
    # LocaleMiddleware leaves the language of the last admin page active in the thread.
    client.get("/admin/login/", headers={"Accept-Language": "en"})
    assert translation.get_language() == "en"
    seen: list[str] = []
    middleware = MachineRoutesMiddleware(lambda request: HttpResponse("full stack"))

    with mock.patch("calls.views.intake.receive", side_effect=lambda received: seen.append(
            translation.get_language()) or intake.Result(1, "processed")):
        response = middleware(RequestFactory().post(
            WEBHOOK_PATH, data=urlencode(fixture("status_completed")),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Signature": signature_for(fixture("status_completed"))}))

    assert response.status_code == 200
    assert seen == ["ko"]
