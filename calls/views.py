"""HTTP endpoints for ClawOps: thin views that verify, hand over to calls.intake, answer."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calls import intake
from calls.request_size import body_too_large
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


# A plain Django view, not a DRF one: this endpoint authenticates by signature, reads the raw
# body and answers a small JSON, so DRF's request wrapper, authentication, permissions,
# throttling, parsing and content negotiation would all have nothing to do, and on the
# busiest path of the app each of them costs time per delivery.
@csrf_exempt  # signed, not logged in: no cookie to protect
@require_POST  # anything else: 405 with Allow: POST
def clawops_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/clawops/``: every ClawOps webhook, both signature schemes."""
    if body_too_large(request):
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        return JsonResponse({"error": f"body is larger than {limit} bytes"}, status=413)
    body = request.body

    url = public_url(request)
    try:
        scheme = verify(request, body, url)
    except SignatureRejected as exc:
        # Header names only: values are signatures, and logs are not for secrets.
        logger.warning("rejected webhook: %s (headers: %s)", exc, sorted(request.headers))
        return JsonResponse({"error": str(exc)}, status=401)

    received = intake.Received(
        scheme=scheme,
        content_type=request.content_type or "",
        headers={name: request.META[key] for name, key in KEPT_HEADERS.items()
                 if key in request.META},
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

