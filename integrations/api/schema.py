"""What the OpenAPI document says beyond what drf-spectacular reads from the views: the
problem responses every endpoint may give, examples in Korean data, and which endpoints are
published (the API and the shop order webhook; ClawOps' own webhook is ClawOps' contract)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView

from integrations.api import problems as problem_details
from integrations.api.serializers import EXTERNAL_ID_PATTERN, ExternalId, ProblemDetails

PUBLISHED_PREFIXES = ("/api/v1/", "/webhooks/orders/")
PROBLEM = "application/problem+json"

WHEN = {
    400: "Invalid fields or query parameters; `errors` names each. Nothing was stored.",
    401: "No key, a malformed Authorization header, or a revoked key.",
    404: "Not found at this clinic (another clinic's rows are never visible).",
    409: "The external_id exists with other content; `errors` names what differs.",
    413: "The body is over 256 KiB.",
    415: "The body is not sent as application/json.",
    429: "Over the key's rate limit; wait Retry-After seconds.",
}
EVERY_REQUEST = (401, 429)
WITH_BODY = (413, 415)


def only_published(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """drf-spectacular preprocessing hook (SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"])."""
    return [e for e in endpoints if e[0].startswith(PUBLISHED_PREFIXES)]


class TextFieldSchema(OpenApiSerializerFieldExtension):
    """The API's own text fields, with their limits, so that clients (and the
    property-based test) know what is accepted."""

    target_class = "integrations.api.serializers.Text"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field = self.target
        schema: dict[str, Any] = {"type": "string", "minLength": 1,
                                  "maxLength": field.max_length}
        if isinstance(field, ExternalId):
            schema["pattern"] = EXTERNAL_ID_PATTERN
        if field.help_text:
            schema["description"] = str(field.help_text)
        return schema


class SchemaView(SpectacularAPIView):
    """The document in English, like the API's answers, unless Korean is asked for."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(problem_details.language(request)):
            return super().dispatch(request, *args, **kwargs)


def problems(*codes: int, said: dict[int, str] | None = None
             ) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem responses for ``codes``, described by ``said`` or else by WHEN."""
    said = {**WHEN, **(said or {})}
    return {(code, PROBLEM): OpenApiResponse(ProblemDetails, description=said.get(code, ""))
            for code in codes}


def with_problems(success: Any, *codes: int) -> dict:
    """The success answer plus the problems of every request and of ``codes``; a request
    that may carry a body also gets 413 and 415, and one naming a row gets 404."""
    return {200: success, **problems(*sorted({*codes, *EVERY_REQUEST, 404, *WITH_BODY}))}


APPOINTMENT_EXAMPLES = [
    OpenApiExample(
        "New appointment", request_only=True,
        value={"external_id": "B-20261201-0042", "patient_name": "김민지",
               "phone": "010-1234-5678", "starts_at": "2026-12-01T15:00:00+09:00"}),
    OpenApiExample(
        "Created", response_only=True, status_codes=["201"],
        value={"id": 42, "external_id": "B-20261201-0042", "patient_name": "김민지",
               "phone": "01012345678", "starts_at": "2026-12-01T15:00:00+09:00",
               "status": "scheduled", "cycle": 1,
               "reminders": {
                   "sms": {"state": "pending", "due_at": "2026-12-01T14:00:00+09:00",
                           "finished_at": None},
                   "call": {"state": "pending", "due_at": "2026-12-01T14:10:00+09:00",
                            "finished_at": None}},
               "created_at": "2026-11-30T10:12:03+09:00",
               "updated_at": "2026-11-30T10:12:03+09:00"}),
    OpenApiExample(
        "Sent again with another time", response_only=True, status_codes=["409"],
        media_type=PROBLEM,
        value={"type": "about:blank", "title": "Conflict", "status": 409,
               "detail": "An appointment with this external_id exists with other content; "
                         "nothing was stored. Change it with PATCH.",
               "errors": {"starts_at": ["Differs from the stored appointment: "
                                        "2026-12-01T15:00:00+09:00"]}}),
    OpenApiExample(
        "Invalid fields (Accept-Language: ko)", response_only=True, status_codes=["400"],
        media_type=PROBLEM,
        value={"type": "about:blank", "title": "잘못된 요청", "status": 400,
               "detail": "잘못된 항목이 있어 아무것도 저장하지 않았습니다.",
               "errors": {"phone": ["'12'은(는) 국내에 없는 전화번호입니다 "
                                    "(예: 010-1234-5678)."]}}),
]

CHANGE_EXAMPLES = [
    OpenApiExample("Move to another time", request_only=True,
                   value={"starts_at": "2026-12-02T10:30:00+09:00"}),
    OpenApiExample("Correct the name", request_only=True, value={"patient_name": "김민지"}),
]
