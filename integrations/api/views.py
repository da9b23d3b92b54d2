"""``/api/v1/``: appointments in, calls out. Thin views: key → clinic, read, one service
call, answer. Every error is a problem response (integrations/api/problems.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from calls.request_size import body_too_large
from integrations.api import appointments, calls, problems, schema
from integrations.api import serializers as s
from integrations.api.keys import ApiKeyAuthentication
from integrations.api.throttling import PerKeyRateThrottle
from integrations.models import ApiKey, Appointment, AppointmentStatus, Clinic


class HasApiKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF writes OpenAPI 3.0's "nullable", which 3.1 (what we publish) no longer has.
        link = {"type": ["string", "null"], "format": "uri"}
        return {"type": "object", "required": ["next", "previous", "results"],
                "properties": {"next": link, "previous": link, "results": schema}}

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise problems.invalid({self.cursor_query_param: [
                _("Not a cursor this API gave out; follow the next and previous links.")]}
            ) from None


class AppointmentCursor(Cursor):
    ordering = ("starts_at", "id")


class CallCursor(Cursor):
    ordering = ("started_at", "id")


class ApiView(GenericAPIView):
    """What every endpoint shares: the key, the rate limit, JSON in and out, the body
    size limit, problem responses, and English unless Korean is asked for."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [PerKeyRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "post", "patch", "delete"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(problems.language(request)):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if body_too_large(request._request):
            raise problems.too_large(settings.WEBHOOK_MAX_BODY_BYTES)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> HttpResponse:
        return problems.response(problems.from_exception(exc,
                                                         allowed_methods=self.allowed_methods))

    @property
    def clinic(self) -> Clinic:
        return self.request.auth.clinic

    def read(self, serializer_class: type[s.StrictSerializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def phone_as_sent(self) -> str:
        data = self.request.data
        return str(data.get("phone", "")) if isinstance(data, dict) else ""


@extend_schema(tags=["appointments"])
class AppointmentList(mixins.ListModelMixin, ApiView):
    serializer_class = s.Appointment
    pagination_class = AppointmentCursor

    @extend_schema(
        summary="List the clinic's appointments",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="A day in Korean time."),
            OpenApiParameter("status", str, enum=AppointmentStatus.values),
        ],
        responses=schema.with_problems(s.Appointment(many=True), 400),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    def get_queryset(self):
        found = Appointment.objects.filter(clinic=self.clinic)
        errors: dict[str, list[str]] = {}
        day_text = self.request.query_params.get("date")
        if day_text is not None:
            day = _parse_day(day_text)
            if day is None:
                errors["date"] = [_("Must be a date like 2026-12-01.")]
            else:
                start = timezone.make_aware(datetime.combine(day, time.min))
                found = found.filter(starts_at__gte=start,
                                     starts_at__lt=start + timedelta(days=1))
        wanted = self.request.query_params.get("status")
        if wanted is not None:
            if wanted not in AppointmentStatus.values:
                errors["status"] = [_("Must be one of: %(values)s.")
                                    % {"values": ", ".join(AppointmentStatus.values)}]
            found = found.filter(status=wanted)
        if errors:
            raise problems.invalid(errors)
        return found

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(appointments.represent(page))

    @extend_schema(
        summary="Create an appointment (idempotent by external_id)",
        request=s.AppointmentCreate,
        responses={201: s.Appointment, 200: s.Appointment, **schema.problems(400, 409)},
        examples=schema.APPOINTMENT_EXAMPLES,
        description=(
            "201 with the new appointment, its reminder SMS and call planned. The same "
            "external_id again: 200 with the stored appointment if the content is the same "
            "(nothing new), 409 naming what differs if not."),
    )
    def post(self, request: Request) -> Response:
        fields = self.read(s.AppointmentCreate)
        appointment, created = appointments.create(self.clinic, fields, self.phone_as_sent())
        body = appointments.represent([appointment])[0]
        headers = {"Location": f"{request.path}{appointment.external_id}/"}
        return Response(body, status=201 if created else 200, headers=headers)


@extend_schema(tags=["appointments"], parameters=[
    OpenApiParameter("external_id", str, OpenApiParameter.PATH, pattern=s.EXTERNAL_ID_PATTERN,
                     description="The booking system's id.")])
class AppointmentDetail(ApiView):
    serializer_class = s.Appointment

    def get_object(self) -> Appointment:
        external_id = self.kwargs["external_id"]
        found = Appointment.objects.filter(clinic=self.clinic, external_id=external_id).first()
        if found is None:
            raise problems.Problem(404, _("Your clinic has no appointment with this "
                                          "external_id."))
        return found

    @extend_schema(summary="Read an appointment", responses=schema.with_problems(s.Appointment))
    def get(self, request: Request, external_id: str) -> Response:
        return Response(appointments.represent([self.get_object()])[0])

    @extend_schema(summary="Change an appointment", request=s.AppointmentChange,
                   responses=schema.with_problems(s.Appointment, 400),
                   examples=schema.CHANGE_EXAMPLES)
    def patch(self, request: Request, external_id: str) -> Response:
        appointment = self.get_object()
        fields = self.read(s.AppointmentChange)
        changed = appointments.change(appointment, fields, self.phone_as_sent())
        return Response(appointments.represent([changed])[0])

    @extend_schema(summary="Cancel an appointment (the row is kept)",
                   responses=schema.with_problems(s.Appointment))
    def delete(self, request: Request, external_id: str) -> Response:
        cancelled = appointments.cancel(self.get_object())
        return Response(appointments.represent([cancelled])[0])


@extend_schema(tags=["calls"])
class CallList(mixins.ListModelMixin, ApiView):
    serializer_class = s.Call
    pagination_class = CallCursor

    @extend_schema(
        summary="List the clinic's calls, oldest first",
        parameters=[OpenApiParameter(
            "since", OpenApiTypes.DATETIME,
            description="Only calls that started at or after this time (ISO 8601 with an "
                        "offset).")],
        responses=schema.with_problems(s.Call(many=True), 400),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    def get_queryset(self):
        found = calls.of_clinic(self.clinic)
        since_text = self.request.query_params.get("since")
        if since_text is not None:
            since = s.parse_moment(since_text)
            if since is None:
                raise problems.invalid({"since": [
                    _("Must be an ISO 8601 time with an offset, e.g. "
                      "2026-12-01T15:00:00+09:00.")]})
            found = found.filter(started_at__gte=since)
        return found

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([calls.represent(call) for call in page])


@extend_schema(tags=["calls"])
class CallDetail(ApiView):
    serializer_class = s.Call

    @extend_schema(summary="Read a call", responses=schema.with_problems(s.Call))
    def get(self, request: Request, call_id: str) -> Response:
        call = calls.of_clinic(self.clinic).filter(call_id=call_id).first()
        if call is None:
            raise problems.Problem(404, _("Your clinic has no call with this call_id."))
        return Response(calls.represent(call))


def _parse_day(text: str):
    try:
        return parse_date(text)
    except ValueError:  # well-formed but impossible, like 2026-02-30
        return None


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem too, not Django's HTML page."""
    with translation.override(problems.language(request)):
        return problems.response(problems.Problem(
            404, _("There is nothing at this address, or it belongs to another clinic.")))
