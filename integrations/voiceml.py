"""What every VoiceML endpoint shares (contract §6, TwiML-compatible XML): the preamble —
the methods it takes, no CSRF token (ClawOps signs instead), the signature checked on the raw body
before anything reads it — and the answer, a document rendered from
templates/integrations/voiceml/."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from calls.bounds import unstorable
from calls.decoding import form_fields
from calls.payloads import PayloadError
from calls.request_size import body_too_large
from calls.verification import SignatureRejected, verify
from integrations.texts import render_text

logger = logging.getLogger(__name__)


def render(template_name: str, context: dict[str, Any]) -> bytes:
    """A VoiceML document from templates/integrations/voiceml/ (spoken in Korean)."""
    return render_text(f"integrations/voiceml/{template_name}", context).encode("utf-8")


def xml_response(xml: bytes) -> HttpResponse:
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


def verified_fields(request: HttpRequest) -> dict[str, str] | HttpResponse:
    """The request's fields once its signature holds, or the error response to send: the
    form fields of a POST, the query fields of a GET."""
    if body_too_large(request):
        return JsonResponse({"error": "body too large"}, status=413)
    body = request.body
    try:
        verify(request, body)
    except SignatureRejected as exc:
        # Header names only, as for webhooks: values are signatures.
        logger.warning("rejected VoiceML request: %s (headers: %s)", exc, sorted(request.headers))
        return JsonResponse({"error": str(exc)}, status=401)
    # A document fetched by GET carries its fields in the query string (contract §2.3).
    raw = request.META.get("QUERY_STRING", "").encode() if request.method == "GET" else body
    try:
        fields = form_fields(raw, strict=True)
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


def _endpoint(methods: list[str]) -> Callable[[VoiceMLView], Callable[..., HttpResponse]]:
    def decorate(view: VoiceMLView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @require_http_methods(methods)  # any other method: 405 with Allow
        @functools.wraps(view)
        def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fields = verified_fields(request)
            if isinstance(fields, HttpResponse):
                return fields
            document = view(request, fields, *args, **kwargs)
            return document if isinstance(document, HttpResponse) else xml_response(document)

        return answer

    return decorate


# The preamble of every VoiceML endpoint, stated once: the methods it takes, no CSRF token,
# the signature checked (413/401 otherwise); the view gets the fields and returns the XML.
# ``endpoint``: the action of a <Gather> or <Record>, which ClawOps POSTs.
# ``document_endpoint``: the document ClawOps fetches when a call we placed connects; a
# number's webhookMethod may be GET or POST (contract §2.3).
endpoint = _endpoint(["POST"])
document_endpoint = _endpoint(["GET", "POST"])
