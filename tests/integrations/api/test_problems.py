"""The API's shared behaviour: problem details in English or Korean, the rate limit, other
addresses, the OpenAPI document and its docs page served from here."""

from __future__ import annotations

import re

import pytest

from integrations.models import ApiKey
from tests.integrations.api.api_client import (
    NEW_APPOINTMENT,
    Api,
    assert_problem,
    clinic_with_key,
    stored,
)

pytestmark = pytest.mark.django_db
PATH = "/api/v1/appointments/"


@pytest.fixture
def key() -> str:
    return clinic_with_key()[1]


def test_problems_are_english_by_default(key):
    body = assert_problem(Api(key).post(PATH, {**NEW_APPOINTMENT, "phone": "12"}), 400)
    assert body["title"] == "Bad Request"
    assert body["errors"]["phone"] == [
        "'12' is not a phone number that exists in Korea (e.g. 010-1234-5678)."]
    assert stored() == (0, 0)


@pytest.mark.parametrize("header", ["ko", "ko-KR,ko;q=0.9,en;q=0.8", "en;q=0.5, ko"])
def test_problems_are_korean_when_the_client_asks_for_korean(key, header):
    response = Api(key, language=header).post(PATH, {**NEW_APPOINTMENT, "phone": "12"})

    body = assert_problem(response, 400)
    assert response["Content-Language"] == "ko"
    assert body["title"] == "잘못된 요청"
    assert body["detail"] == "잘못된 항목이 있어 아무것도 저장하지 않았습니다."
    assert body["errors"]["phone"] == ["'12'은(는) 국내에 없는 전화번호입니다 (예: 010-1234-5678)."]
    assert stored() == (0, 0)


def test_every_korean_problem_is_korean_throughout(key):
    """No English left in a Korean answer: each message of a many-field error."""
    response = Api(key, language="ko").post(PATH, {"external_id": "", "starts_at": "x",
                                                   "phone": None, "extra": 1})
    body = assert_problem(response, 400)
    for messages in body["errors"].values():
        for message in messages:
            assert re.search("[가-힣]", message), message
    assert stored() == (0, 0)


def test_an_english_client_gets_english_even_though_the_site_is_korean(key):
    response = Api(key, language="en-US,en;q=0.9").get(f"{PATH}nothing/")
    assert assert_problem(response, 404)["title"] == "Not Found"
    assert response["Content-Language"] == "en"


def test_an_unknown_api_address_answers_a_problem_not_a_page(client):
    assert_problem(client.get("/api/v2/appointments/"), 404)
    assert_problem(client.get("/api/v1/nothing-here/"), 404)


def test_it_answers_429_with_retry_after_beyond_the_rate_limit_and_stores_nothing(key, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    api = Api(key)
    assert api.get(PATH).status_code == 200
    assert api.get(PATH).status_code == 200

    response = api.post(PATH, NEW_APPOINTMENT)

    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert stored() == (0, 0)


def test_the_rate_limit_is_per_key(key, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    _other, other_key = clinic_with_key("서초바른이비인후과", from_number="07011112222")
    assert Api(key).get(PATH).status_code == 200
    assert Api(key).get(PATH).status_code == 429
    assert Api(other_key).get(PATH).status_code == 200


def test_a_new_minute_opens_a_new_window(key, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    api = Api(key)
    assert api.get(PATH).status_code == 200
    assert api.get(PATH).status_code == 429
    row = ApiKey.objects.get()
    ApiKey.objects.filter(pk=row.pk).update(
        rate_window_started_at=row.rate_window_started_at.replace(year=2020))
    assert api.get(PATH).status_code == 200


def test_the_schema_is_openapi_3_and_covers_the_api_and_the_order_webhook(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/appointments/", "/api/v1/appointments/{external_id}/", "/api/v1/calls/",
        "/api/v1/calls/{call_id}/", "/webhooks/orders/"}
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    example = schema["paths"]["/api/v1/appointments/"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert any(e["value"].get("patient_name") == "김민지" for e in example.values())


def test_the_docs_page_is_served_from_this_server_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "/api/schema/" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)


def test_the_files_the_docs_page_loads_are_in_the_repository_s_static_files(client):
    from django.contrib.staticfiles import finders

    page = client.get("/api/docs/").content.decode()
    paths = re.findall(r"/static/(drf_spectacular_sidecar/[^\"'?]+)", page)
    assert paths
    for path in paths:
        assert finders.find(path), path


@pytest.mark.parametrize(("language", "detail"), [
    (None, "The address contains a NUL character, which is not allowed."),
    ("ko", "주소에 NUL 문자가 들어 있습니다. 허용되지 않는 문자입니다."),
])
def test_a_nul_in_the_query_is_a_problem_in_the_clients_language(key, language, detail):
    response = Api(key, language=language).get(PATH, {"status": "\x00"})

    assert assert_problem(response, 400)["detail"] == detail
