"""What every VoiceML endpoint shares: building the XML (contract §6, TwiML-compatible) and
checking that the request comes from ClawOps, signed like any webhook."""

from __future__ import annotations

import logging
from collections.abc import Callable
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from calls.bounds import unstorable
from calls.decoding import form_fields
from calls.payloads import PayloadError
from calls.verification import SignatureRejected, verify

logger = logging.getLogger(__name__)


def document(build: Callable[[ET.Element], None]) -> bytes:
    """A ``<Response>`` document; ``build`` adds its verbs."""
    response = ET.Element("Response")
    build(response)
    return ET.tostring(response, encoding="utf-8", xml_declaration=True)


def say(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "Say", language="ko-KR").text = text


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
