"""Every machine endpoint answers a method it does not take with 405 and an Allow header,
and acts on nothing: the requests are signed and would store or change rows if accepted."""

from __future__ import annotations

import pytest

from calls.signatures import x_signature
from tests.clawsite.machine_requests import (
    METRICS_TOKEN,
    ORDER_SECRET,
    database_state,
    machine_endpoints,
)

pytestmark = pytest.mark.django_db
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.fixture(autouse=True)
def order_settings(settings):
    settings.ORDER_WEBHOOK_SECRETS = [ORDER_SECRET]
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_order"
    settings.METRICS_TOKEN = METRICS_TOKEN


def test_it_answers_every_wrong_method_with_405_and_allow_and_stores_nothing(client):
    endpoints = machine_endpoints(client)
    checked = 0
    for endpoint in endpoints:
        for method in METHODS:
            if method in endpoint.allowed:
                continue
            before = database_state()
            response = endpoint.send(client, method)

            where = f"{method} {endpoint.name}"
            assert response.status_code == 405, where
            assert response["Allow"] == ", ".join(endpoint.allowed), where
            assert database_state() == before, where
            checked += 1
    # 8 endpoints: 4 take POST only (6 wrong methods each), 2 GET and POST (5 each), the
    # 2 probes GET and HEAD (5 each).
    assert checked == 4 * 6 + 2 * 5 + 2 * 5


def test_the_requests_are_ones_the_right_method_acts_on(client):
    """The wrong-method requests above are not empty threats: sent with POST, each
    signed request is accepted, and those that store something do."""
    for endpoint in machine_endpoints(client):
        method = "POST" if "POST" in endpoint.allowed else "GET"
        before = database_state()
        response = endpoint.send(client, method)

        assert response.status_code in (200, 202), endpoint.name
        changes = database_state() != before
        acts = endpoint.name in ("clawops webhook", "order webhook", "reminder answer",
                                 "callback message")
        assert changes == acts, endpoint.name


@pytest.mark.parametrize("name", ["reminder script", "callback script"])
def test_a_voiceml_document_can_be_fetched_with_a_signed_get(client, name):
    endpoint = next(e for e in machine_endpoints(client) if e.name == name)

    response = endpoint.send(client, "GET")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert b"<Response>" in response.content


def test_a_voiceml_get_without_a_valid_signature_is_refused(client):
    endpoint = next(e for e in machine_endpoints(client) if e.name == "reminder script")

    unsigned = client.get(f"{endpoint.path}?{endpoint.query}")
    tampered = client.get(f"{endpoint.path}?{endpoint.query}&Digits=1",
                          headers=endpoint.query_headers)

    assert unsigned.status_code == 401
    assert tampered.status_code == 401


def test_the_health_check_answers_head(client):
    response = client.head("/healthz")

    assert response.status_code == 200


def test_a_voiceml_get_may_be_signed_over_the_whole_url_instead(client, settings):
    """The contract leaves open how ClawOps signs a GET: over the URL without its query
    plus the query fields (the SDK's reading, above), or over the whole URL alone."""
    endpoint = next(e for e in machine_endpoints(client) if e.name == "callback script")
    whole_url = f"{settings.CLAWOPS_PUBLIC_BASE_URL}{endpoint.path}?{endpoint.query}"
    signature = x_signature(whole_url, {}, settings.CLAWOPS_SIGNING_KEYS[-1])

    response = client.get(f"{endpoint.path}?{endpoint.query}", headers={"X-Signature": signature})

    assert response.status_code == 200
    assert b"<Response>" in response.content
