"""``POST /webhooks/orders/``: a shop posts a new order; a confirmation call follows (S2).

Thin like the ClawOps view: size, signature on the raw bytes, then the fields, then one
transaction (the order and its call job), then 202. The call itself is placed by a worker.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from calls.bounds import MAX_JSON_DEPTH, MAX_NUMBER_DIGITS, BoundsError, load_json
from calls.intake import DATABASE_UNAVAILABLE
from calls.phone import korean_number, normalize_phone
from calls.signatures import verify_clawops_signature
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


class ItemField(serializers.Field):
    """One ordered item: a name, or ``{"name": …, "quantity": n}`` (other keys ignored).
    Stored as ``{"name"}`` or ``{"name", "quantity"}`` so every item reads the same way."""

    default_error_messages = {
        # Braces doubled: DRF formats these messages with str.format.
        "invalid": '상품은 이름(문자열) 또는 {{"name": 이름, "quantity": 수량}} 객체여야 합니다.',
        "no_name": "상품 이름(name)이 비어 있습니다.",
        "bad_name": "상품 이름은 200자 이하의 글자여야 합니다.",
        "quantity": "수량(quantity)은 1 이상의 정수여야 합니다.",
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


class WonField(serializers.Field):
    """A whole, non-negative amount in won, sent as a JSON number: "12000" or 12000.5 would
    mean the shop's code is not sending what it thinks, so they are refused, not guessed."""

    default_error_messages = {
        "invalid": "금액은 원 단위 정수(JSON 숫자)여야 합니다. 예: 12000",
        "negative": "금액은 0 이상이어야 합니다.",
        "too_large": f"금액은 {MAX_PRICE:,}원 이하여야 합니다.",
    }

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if data < 0:
            self.fail("negative")
        if data > MAX_PRICE:
            self.fail("too_large")
        return data

    def to_representation(self, value: int) -> int:
        return value


class OrderSerializer(serializers.Serializer):
    order_id = serializers.CharField(max_length=64)
    customer_name = serializers.CharField(max_length=100)
    customer_phone = serializers.CharField(max_length=64)
    items = serializers.ListField(child=ItemField(), allow_empty=False, max_length=MAX_ITEMS)
    total_price = WonField()

    def validate_customer_phone(self, value: str) -> str:
        try:
            korean_number(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class OrderWebhookView(APIView):
    """Signed by the shop, not logged in: no authentication classes, so no CSRF check."""

    def post(self, request: Request) -> Response:
        # Only the raw Django request is read until the signature holds
        # (encode/django-rest-framework#2774).
        http: HttpRequest = request._request
        secrets = settings.ORDER_WEBHOOK_SECRETS
        if not secrets:
            return Response({"error": "order webhook is not configured"}, status=503)
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        if _declared_length(http) > limit or len(http.body) > limit:
            return Response({"error": f"body is larger than {limit} bytes"}, status=413)
        body = http.body

        signature = http.headers.get(SIGNATURE_HEADER)
        if signature is None or not verify_clawops_signature(body, signature, secrets):
            # Header names only: values are signatures, and logs are not for secrets.
            logger.warning("rejected order webhook: %s (headers: %s)",
                           "missing signature" if signature is None else "wrong signature",
                           sorted(http.headers))
            error = (f"missing signature: send {SIGNATURE_HEADER}" if signature is None
                     else "signature does not match")
            return Response({"error": error}, status=401)

        try:
            data = load_json(body)
        except BoundsError as exc:
            if exc.field in OrderSerializer().fields:
                # A NUL or lone surrogate inside a field the shop can fix: name that field.
                message = _("This field contains a NUL character or an unpaired surrogate.")
                return Response({"errors": {exc.field: [message]}}, status=400)
            return Response({"errors": {"body": [body_refused_message()]}}, status=400)
        serializer = OrderSerializer(data=data)
        if not serializer.is_valid():
            return Response({"errors": flat_errors(serializer.errors)}, status=400)
        fields = serializer.validated_data

        try:
            order, created = confirmation_calls.receive(
                order_id=fields["order_id"].strip(),
                customer_name=fields["customer_name"].strip(),
                customer_phone=normalize_phone(fields["customer_phone"]),
                customer_phone_raw=fields["customer_phone"],
                items=fields["items"],
                total_price=fields["total_price"],
                raw_body=body,
            )
        except DATABASE_UNAVAILABLE:
            logger.exception("database unavailable; order webhook not acknowledged")
            return Response({"error": "database unavailable, retry later"}, status=503)
        if not created:
            if bytes(order.raw_body) != body:
                logger.warning("order %s sent again with a different body; the first one is "
                               "kept", order.order_id)
            return Response({"status": "call_initiated", "duplicate": True}, status=202)
        return Response({"status": "call_initiated"}, status=202)


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


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
