"""``POST /webhooks/orders/``: a shop posts a new order; a confirmation call follows (S2).

Thin like the ClawOps view: size, signature on the raw bytes, then the fields, then one
transaction (the order and its call job), then 202. The call itself is placed by a worker.
Every error is an RFC 9457 problem (integrations/api/problems.py), in English or, with
``Accept-Language: ko``, in Korean.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from calls.bounds import MAX_JSON_DEPTH, MAX_NUMBER_DIGITS, BoundsError, load_json
from calls.intake import DATABASE_UNAVAILABLE
from calls.request_size import body_too_large
from calls.signatures import verify_clawops_signature
from integrations.api import problems, schema
from integrations.api.serializers import COMMON_ERRORS, Phone, Text
from integrations.jobs import kinds, reasons
from integrations.models import Order
from integrations.orders import confirmation_calls

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Order-Signature"
MAX_ITEMS = 100


def body_refused_message() -> str:
    return _(
        "The body must be UTF-8 JSON nested at most %(depth)d levels deep, with numbers of "
        "at most %(digits)d digits and no NUL characters or unpaired surrogates."
    ) % {"depth": MAX_JSON_DEPTH, "digits": MAX_NUMBER_DIGITS}
# PositiveIntegerField's ceiling on every database Django supports.
MAX_PRICE = 2_147_483_647


@extend_schema_field({"oneOf": [
    {"type": "string", "minLength": 1, "maxLength": 200},
    {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "quantity": {"type": "integer", "minimum": 1}}},
]})
class ItemField(serializers.Field):
    """One ordered item: a name, or ``{"name": …, "quantity": n}`` (other keys ignored).
    Stored as ``{"name"}`` or ``{"name", "quantity"}`` so every item reads the same way."""

    default_error_messages = {
        **COMMON_ERRORS,
        # Braces doubled: DRF formats these messages with str.format.
        "invalid": gettext_lazy(
            'An item is a name (a string) or an object {{"name": name, "quantity": n}}.'),
        "no_name": gettext_lazy("The item's name is empty."),
        "bad_name": gettext_lazy("An item's name is text of at most 200 characters."),
        "quantity": gettext_lazy("The quantity must be a whole number of at least 1."),
    }

    def to_internal_value(self, data: object) -> dict[str, Any]:
        if isinstance(data, str):
            name, quantity = data, None
        elif isinstance(data, dict):
            name, quantity = data.get("name"), data.get("quantity")
            if not isinstance(name, str):
                self.fail("no_name" if name is None else "invalid")
            if quantity is not None and (
                    isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1):
                self.fail("quantity")
        else:
            self.fail("invalid")
        name = name.strip()
        if not name:
            self.fail("no_name")
        # NUL cannot be stored in PostgreSQL's JSON, and a name is a short line.
        if len(name) > 200 or "\x00" in name:
            self.fail("bad_name")
        item: dict[str, Any] = {"name": name}
        if quantity is not None:
            item["quantity"] = quantity
        return item

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_PRICE})
class WonField(serializers.Field):
    """A whole, non-negative amount in won, sent as a JSON number: "12000" or 12000.5 would
    mean the shop's code is not sending what it thinks, so they are refused, not guessed."""

    default_error_messages = {
        **COMMON_ERRORS,
        "invalid": gettext_lazy("The amount must be whole won as a JSON number, e.g. 12000."),
        "negative": gettext_lazy("The amount may not be negative."),
        "too_large": gettext_lazy("The amount may be at most {max_price} won."),
    }

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if data < 0:
            self.fail("negative")
        if data > MAX_PRICE:
            self.fail("too_large", max_price=f"{MAX_PRICE:,}")
        return data

    def to_representation(self, value: int) -> int:
        return value


class ItemList(serializers.ListField):
    default_error_messages = {
        **COMMON_ERRORS,
        "not_a_list": gettext_lazy("Must be a list of items."),
        "empty": gettext_lazy("Must name at least one item."),
        "max_length": gettext_lazy("At most {max_length} items."),
    }


class OrderSerializer(serializers.Serializer):
    # Other fields are ignored, not refused: a shop's platform may send more than we read.
    default_error_messages = {**COMMON_ERRORS,
                              "invalid": gettext_lazy("The body must be a JSON object.")}

    order_id = Text(max_length=64)
    customer_name = Text(max_length=100)
    # The domestic digits the call goes to (calls.phone.korean_number, as everywhere).
    customer_phone = Phone(help_text="Any common Korean format.")
    items = ItemList(child=ItemField(), allow_empty=False, max_length=MAX_ITEMS)
    total_price = WonField()


# "stored" with "call": "disabled" while the call cannot be placed (settings missing;
# "reason" names them): the order is kept, and nothing is promised.
ACCEPTED = inline_serializer("OrderAccepted", {
    "status": serializers.ChoiceField(choices=["call_initiated", "stored"]),
    "call": serializers.ChoiceField(choices=["disabled"], required=False),
    "reason": serializers.CharField(required=False),
    "duplicate": serializers.BooleanField(required=False),
})


class OrderWebhookView(APIView):
    """Signed by the shop, not logged in: no authentication classes, so no CSRF check."""

    # Only POST: anything else (OPTIONS and HEAD included) is 405 with Allow: POST.
    http_method_names = ["post"]

    # The body is read raw (the signature covers its bytes); this says what it must be.
    parser_classes = [JSONParser]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(problems.language(request)):
            return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> HttpResponse:
        return problems.response(problems.from_exception(exc,
                                                         allowed_methods=self.allowed_methods))

    @extend_schema(
        tags=["shop orders"], summary="A shop's new order: a confirmation call follows",
        request=OrderSerializer,
        parameters=[OpenApiParameter(
            SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True,
            description="sha256=<hex HMAC-SHA256 of the raw body with ORDER_WEBHOOK_SECRET>")],
        responses={202: ACCEPTED, **schema.problems(400, 401, 409, 413, 503, said={
            400: "Invalid fields; `errors` names each. Nothing was stored.",
            401: "The signature is missing or does not match. Nothing was stored.",
            409: "This order_id was received before with other content; `errors` names what "
                 "differs. The first one is kept.",
            503: "ORDER_WEBHOOK_SECRET is not set, or the database is unreachable; retry.",
        })},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # Only the raw Django request is read until the signature holds
        # (encode/django-rest-framework#2774).
        http: HttpRequest = request._request
        secrets = settings.ORDER_WEBHOOK_SECRETS
        if not secrets:
            raise problems.Problem(503, _("The order webhook is not configured "
                                          "(ORDER_WEBHOOK_SECRET is not set); retry later."))
        if body_too_large(http):
            raise problems.too_large(settings.WEBHOOK_MAX_BODY_BYTES)
        body = http.body

        signature = http.headers.get(SIGNATURE_HEADER)
        if signature is None or not verify_clawops_signature(body, signature, secrets):
            # Header names only: values are signatures, and logs are not for secrets.
            logger.warning("rejected order webhook: %s (headers: %s)",
                           "missing signature" if signature is None else "wrong signature",
                           sorted(http.headers))
            raise problems.Problem(401, _("The %(header)s header is missing; nothing was "
                                          "stored.") % {"header": SIGNATURE_HEADER}
                                   if signature is None else
                                   _("The signature does not match the body; nothing was "
                                     "stored."))

        try:
            data = load_json(body)
        except BoundsError as exc:
            if exc.field in OrderSerializer().fields:
                # A NUL or lone surrogate inside a field the shop can fix: name that field.
                raise problems.invalid({exc.field: [
                    _("This field contains a NUL character or an unpaired surrogate.")]}) from None
            raise problems.invalid({problems.BODY_FIELD: [body_refused_message()]}) from None
        serializer = OrderSerializer(data=data)
        if not serializer.is_valid():
            raise problems.invalid(flat_errors(serializer.errors))
        fields = serializer.validated_data
        received = {
            "customer_name": fields["customer_name"],
            "customer_phone": fields["customer_phone"],
            "items": fields["items"],
            "total_price": fields["total_price"],
        }

        try:
            order, created = confirmation_calls.receive(
                order_id=fields["order_id"], customer_phone_raw=data["customer_phone"].strip(),
                raw_body=body, **received)
        except DATABASE_UNAVAILABLE:
            logger.exception("database unavailable; order webhook not acknowledged")
            raise problems.Problem(503, _("The database is unavailable; retry later.")
                                   ) from None
        answer = call_answer()
        if not created:
            differences = differing_fields(order, received)
            if differences:
                # The first one is kept: its call may be under way already.
                raise problems.Problem(409, _("An order with this order_id was received with "
                                              "other content; the first one is kept."),
                                       errors=differences)
            return Response({**answer, "duplicate": True}, status=202)
        return Response(answer, status=202)


def call_answer() -> dict[str, str]:
    """What the shop is told about the call: placed only while order calls are on; else the
    order is kept and the answer says why no call follows."""
    missing = kinds.missing_settings("order_calls")
    if missing:
        return {"status": "stored", "call": "disabled",
                "reason": reasons.integration_off("order_calls", missing)}
    return {"status": "call_initiated"}


def differing_fields(order: Order, received: dict[str, Any]) -> dict[str, list[str]]:
    return {name: [_("Differs from the order received first.")]
            for name, value in received.items() if getattr(order, name) != value}


def flat_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """``{field: [message, …]}`` for every field: an item's errors, which DRF nests by
    position, become "items[1]: …"; errors about the body as a whole go under "body"."""
    flat: dict[str, list[str]] = {}
    for field, value in errors.items():
        name = "body" if field == api_settings.NON_FIELD_ERRORS_KEY else field
        if isinstance(value, dict):
            flat[name] = [f"{field}[{index}]: {message}"
                          for index, messages in value.items() for message in messages]
        else:
            flat[name] = [str(message) for message in value]
    return flat

