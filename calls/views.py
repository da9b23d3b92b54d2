"""HTTP endpoints for ClawOps: thin views that verify, hand over to calls.intake, answer."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.views import APIView

from calls import intake
from calls.verification import SignatureRejected, public_url, verify

logger = logging.getLogger(__name__)

# Headers kept with each delivery: enough to trace it, never a signature or a secret
# (read from META: building request.headers costs more than the rest of this view's reads).
KEPT_HEADERS = {
    "Content-Type": "CONTENT_TYPE",
    "User-Agent": "HTTP_USER_AGENT",
    "X-Forwarded-For": "HTTP_X_FORWARDED_FOR",
    "X-Request-Id": "HTTP_X_REQUEST_ID",
}


class ClawOpsWebhookView(APIView):
    """``POST /webhooks/clawops/``: every ClawOps webhook, both signature schemes."""

    # Authenticated by signature (calls.verification), read from the raw body, answered
    # with a small JsonResponse (DRF passes it through): DRF's own authentication,
    # permission, throttling, parsing and content negotiation have nothing to do here, and
    # on the busiest path of the app each costs time per delivery.
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    parser_classes = ()

    def perform_authentication(self, request: Request) -> None:
        pass  # nothing here reads request.user

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # no Allow or Vary: the sender is a machine that reads the status only

    def perform_content_negotiation(self, request: Request, force: bool = False):
        return None, None

    def post(self, request: Request) -> JsonResponse:
        # Only the raw Django request is read: request.data would parse the body before
        # the signature is checked (encode/django-rest-framework#2774).
        http: HttpRequest = request._request
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        if _declared_length(http) > limit:
            return JsonResponse({"error": f"body is larger than {limit} bytes"}, status=413)
        body = http.body
        if len(body) > limit:
            return JsonResponse({"error": f"body is larger than {limit} bytes"}, status=413)

        url = public_url(http)
        try:
            scheme = verify(http, body, url)
        except SignatureRejected as exc:
            # Header names only: values are signatures, and logs are not for secrets.
            logger.warning("rejected webhook: %s (headers: %s)", exc, sorted(http.headers))
            return JsonResponse({"error": str(exc)}, status=401)

        received = intake.Received(
            scheme=scheme,
            content_type=http.content_type or "",
            headers={name: http.META[key] for name, key in KEPT_HEADERS.items()
                     if key in http.META},
            url=url,
            body=body,
            received_at=timezone.now(),
        )
        try:
            result = intake.receive(received)
        except intake.DATABASE_UNAVAILABLE:
            logger.exception("database unavailable; webhook not acknowledged")
            return JsonResponse({"error": "database unavailable, retry later"}, status=503)
        return JsonResponse({"outcome": result.outcome, "delivery": result.delivery_id})


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
