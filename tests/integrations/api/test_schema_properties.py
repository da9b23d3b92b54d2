"""A property-based run against the published OpenAPI document (GET /api/schema/).

For every operation it reads, Hypothesis generates requests from the document itself
(``from_schema`` below turns each parameter and body schema into a strategy), mixed with
values that break it (other types, free text), sends them with a valid key, and checks each
answer: never a 5xx, a status the document lists for that operation, with the media type
and a body that validate against what the document says. (schemathesis does the same; its
pytest plugin does not load under pytest 9.2, and hypothesis-jsonschema no longer runs on
current Hypothesis, so the run is driven here directly.)

A fixed seed (derandomize) and a bounded number of examples keep it repeatable and quick.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from calls.models import Call
from calls.signatures import clawops_signature
from tests.integrations.api.api_client import Api, clinic_with_key

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL)
EXAMPLES_PER_OPERATION = 25
ORDER_SECRET = "ordsec_properties"
EXISTING_IDS = ["B-1", "B-2", "B-3"]
RUN = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
               database=None, suppress_health_check=list(HealthCheck))


def inline_refs(node: Any, components: dict[str, Any]) -> Any:
    """The schema with every ``$ref`` replaced by what it points at (none is recursive)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return inline_refs(components[name], components)
        return {key: inline_refs(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(value, components) for value in node]
    return node


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    components = document["components"]["schemas"]
    return [(path, method, inline_refs(operation, components))
            for path, item in sorted(document["paths"].items())
            for method, operation in sorted(item.items())]


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that validate against ``schema``, for the JSON Schema the document uses:
    objects, arrays, strings (length, pattern, date and date-time), numbers, enums, oneOf.
    Optional properties are sometimes left out; type lists pick one type."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([from_schema(option) for option in schema["oneOf"]])
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": one}) for one in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False,
                         allow_infinity=False)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_schema(sub) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub) for name, sub in properties.items()
                      if name not in required})
    if schema.get("format") == "date-time":
        return st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
    if schema.get("format") == "date":
        return st.dates().map(lambda day: day.isoformat())
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda text: len(text) <= schema.get("maxLength", 10**6))
    return st.text(min_size=schema.get("minLength", 0),
                   max_size=min(schema.get("maxLength", 40), 40))


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)


def near_future() -> st.SearchStrategy[str]:
    """Valid appointment times too (random date-times almost never are), so that the
    successful paths are exercised as well as the refusals."""
    return st.integers(min_value=-60, max_value=60 * 24 * 30).map(
        lambda minutes: (NOW + timedelta(minutes=minutes)).isoformat())


def body_strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    valid = from_schema(schema)
    if "starts_at" in schema.get("properties", {}):
        valid = st.tuples(valid, near_future(), st.booleans()).map(
            lambda t: {**t[0], "starts_at": t[1]} if t[2] else t[0])
    broken = st.tuples(valid, st.sampled_from(sorted(schema.get("properties", {})) or ["x"]),
                       ANY_JSON).map(lambda t: {**t[0], t[1]: t[2]}
                                     if isinstance(t[0], dict) else t[0])
    return st.one_of(valid, broken, ANY_JSON)


def parameter_strategy(parameter: dict[str, Any]) -> st.SearchStrategy[str | None]:
    schema = parameter.get("schema", {"type": "string"})
    values = from_schema(schema).map(lambda v: v if isinstance(v, str) else json.dumps(v))
    if parameter["name"] == "external_id":
        values = st.one_of(values, st.sampled_from(EXISTING_IDS))
    if parameter["name"] == "call_id":
        values = st.one_of(values, st.just("CAprop1"))
    if parameter["in"] == "path":
        return st.one_of(values.filter(lambda v: v not in ("", ".", "..")))
    return st.one_of(st.none(), values, st.text(max_size=12))


def request_strategy(path: str, operation: dict[str, Any]) -> st.SearchStrategy[dict]:
    parameters = {p["name"]: parameter_strategy(p) for p in operation.get("parameters", [])
                  if p["in"] in ("path", "query")}
    content = operation.get("requestBody", {}).get("content", {})
    body = body_strategy(content["application/json"]["schema"]) if content else st.none()
    return st.fixed_dictionaries({
        "parameters": st.fixed_dictionaries(parameters),
        "body": body,
        "language": st.sampled_from([None, "ko", "en"]),
    })


def send(api: Api, path: str, method: str, operation: dict[str, Any], case: dict) -> Any:
    url = path
    query = {}
    for parameter in operation.get("parameters", []):
        value = case["parameters"].get(parameter["name"])
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", quote(value, safe=""))
        elif parameter["in"] == "query" and value is not None:
            query[parameter["name"]] = value
    if query:
        url += "?" + urlencode(query)
    headers = dict(api.headers)
    if case["language"]:
        headers["Accept-Language"] = case["language"]
    body = None if case["body"] is None else json.dumps(case["body"]).encode()
    if path == "/webhooks/orders/":
        headers.pop("Authorization", None)
        headers["X-Order-Signature"] = clawops_signature(body or b"", ORDER_SECRET)
    if method == "get" or method == "delete":
        return getattr(api.client, method)(url, headers=headers)
    return getattr(api.client, method)(url, data=body or b"", content_type="application/json",
                                       headers=headers)


def check(response: Any, method: str, path: str, operation: dict[str, Any], case: dict) -> None:
    where = f"{method.upper()} {path} {case!r} → {response.status_code} {response.content[:300]!r}"
    assert response.status_code < 500, where
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"undocumented status: {where}"
    content = documented.get("content")
    if not content:
        return
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in content, f"undocumented media type {media_type}: {where}"
    errors = sorted(Draft202012Validator(content[media_type]["schema"]).iter_errors(
        json.loads(response.content)), key=str)
    assert not errors, f"{errors[0].message} at {list(errors[0].absolute_path)}: {where}"


def test_no_generated_request_gets_a_5xx_or_an_answer_that_breaks_the_schema(client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.ORDER_WEBHOOK_SECRETS = [ORDER_SECRET]
    document = client.get("/api/schema/", {"format": "json"}).json()
    with time_machine.travel(NOW, tick=False):
        clinic, key = clinic_with_key()
        api = Api(key)
        for external_id in EXISTING_IDS:
            api.post("/api/v1/appointments/", {
                "external_id": external_id, "patient_name": "김민지",
                "phone": "010-5555-1234", "starts_at": "2026-12-01T15:00:00+09:00"})
        Call.objects.create(call_id="CAprop1", direction="inbound", status="completed",
                            from_number="01055551234", to_number=clinic.from_number,
                            started_at=NOW, duration=30)
        checked = [explore(api, path, method, operation)
                   for path, method, operation in operations(document)]

    assert len(checked) == 8, checked


def explore(api: Api, path: str, method: str, operation: dict[str, Any]) -> str:
    """Run the generated requests of one operation; its name once all passed."""

    @RUN
    @given(case=request_strategy(path, operation))
    def run(case: dict) -> None:
        check(send(api, path, method, operation, case), method, path, operation, case)

    run()
    return f"{method.upper()} {path}"
