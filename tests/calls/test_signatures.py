"""The verifiers against the vectors computed with the official SDK (tests/fixtures)."""

import json
from pathlib import Path

import pytest

from calls.signatures import (
    clawops_signature,
    verify_clawops_signature,
    verify_x_signature,
    x_signature,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "signature-vectors.json").read_text(
        encoding="utf-8"
    )
)


@pytest.mark.parametrize("vector", VECTORS["x_signature"], ids=lambda v: v["url"])
def test_it_computes_every_x_signature_vector(vector):
    assert x_signature(vector["url"], vector["params"], vector["signing_key"]) == (
        vector["expected_header"]
    )
    assert verify_x_signature(
        vector["url"], vector["params"], vector["expected_header"], ["other", vector["signing_key"]]
    )


@pytest.mark.parametrize("vector", VECTORS["clawops_signature"], ids=lambda v: v["body_utf8"][:30])
def test_it_computes_every_clawops_signature_vector(vector):
    body = vector["body_utf8"].encode("utf-8")
    assert clawops_signature(body, vector["secret"]) == vector["expected_header"]
    assert verify_clawops_signature(body, vector["expected_header"], [vector["secret"]])


def test_it_matches_the_contract_table_vector_with_a_query_string():
    # contract §4.1, second row: a query string in the URL and Korean in a value.
    params = {"MessageId": "MG1", "Status": "received", "Body": "안녕"}
    assert x_signature("https://example.com/hooks/clawops/message?x=1", params, "sk_sign") == (
        "1PSbf6XzCOfL99+57giSQbyMTfR18tJEKet44QdNQbo="
    )


def test_it_rejects_a_signature_made_with_another_key_or_url():
    params = {"CallId": "CA123", "CallStatus": "completed"}
    good = x_signature("https://my-app.com/webhook", params, "test_key")
    assert not verify_x_signature("https://my-app.com/webhook", params, good, ["wrong"])
    assert not verify_x_signature("http://my-app.com/webhook", params, good, ["test_key"])
    assert not verify_x_signature("https://my-app.com/webhook", params, good, [])
    tampered = dict(params, CallStatus="no-answer")
    assert not verify_x_signature("https://my-app.com/webhook", tampered, good, ["test_key"])


def test_it_rejects_a_body_signature_without_the_prefix_or_for_another_body():
    sig = clawops_signature(b"{}", "s")
    assert not verify_clawops_signature(b"{}", sig.removeprefix("sha256="), ["s"])
    assert not verify_clawops_signature(b"{} ", sig, ["s"])
