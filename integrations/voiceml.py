"""What every VoiceML endpoint shares (contract §6, TwiML-compatible XML): the preamble —
POST only, no CSRF token (ClawOps signs instead), the signature checked on the raw body
before anything reads it — and the answer, a document rendered from
templates/integrations/voiceml/."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calls.bounds import unstorable
from calls.decoding import form_fields
from calls.payloads import PayloadError
from calls.verification import SignatureRejected, verify
from integrations.texts import render_text

logger = logging.getLogger(__name__)


def render(template_name: str, context: dict[str, Any]) -> bytes:
    """A VoiceML document from templates/integrations/voiceml/ (spoken in Korean)."""
    return render_text(f"integrations/voiceml/{template_name}", context).encode("utf-8")


def xml_response(xml: bytes) -> HttpResponse:
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


def verified_fields(request: HttpRequest) -> dict[str, str] | HttpResponse:
    """The request's form fields once its signature holds, or the error response to send."""
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        verify(request, body)
    except SignatureRejected as exc:
        # Header names only, as for webhooks: values are signatures.
        logger.warning("rejected VoiceML request: %s (headers: %s)", exc, sorted(request.headers))
        return JsonResponse({"error": str(exc)}, status=401)
    try:
        fields = form_fields(body, strict=True)
    except (PayloadError, UnicodeDecodeError):
        return JsonResponse({"error": "body is not well-formed UTF-8 form fields"}, status=400)
    for name, value in fields.items():
        reason = unstorable(name) or unstorable(value)
        if reason:
            return JsonResponse({"error": f"a field contains {reason}"}, status=400)
    return fields


# A VoiceML view: (request, the verified form fields, the URL's arguments) -> the document,
# or the error response when the fields do not allow one.
VoiceMLView = Callable[..., bytes | HttpResponse]


def endpoint(view: VoiceMLView) -> Callable[..., HttpResponse]:
    """The preamble of every VoiceML endpoint, stated once: only POST, no CSRF token, the
    signature checked (413/401 otherwise), the fields readable (400 otherwise); the view gets
    the fields and returns the XML (or an error response of its own)."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fields = verified_fields(request)
        if isinstance(fields, HttpResponse):
            return fields
        document = view(request, fields, *args, **kwargs)
        return document if isinstance(document, HttpResponse) else xml_response(document)

    return answer
