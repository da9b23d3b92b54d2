"""What every VoiceML endpoint shares: building the XML (contract §6, TwiML-compatible) and
checking that the request comes from ClawOps, signed like any webhook."""

from __future__ import annotations

import logging
from collections.abc import Callable
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from calls.decoding import form_fields
from calls.verification import SignatureRejected, verify

logger = logging.getLogger(__name__)


# The document ClawOps fetches when a call we placed connects: the number's webhookMethod
# may be GET or POST (contract §2.3). The actions of <Gather> and <Record> are POSTs.
document_methods = require_http_methods(["GET", "POST"])
action_methods = require_http_methods(["POST"])


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
    """The request's fields once its signature holds, or the error response to send: the
    form fields of a POST, the query fields of a GET."""
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        verify(request, body)
    except SignatureRejected as exc:
        # Header names only, as for webhooks: values are signatures.
        logger.warning("rejected VoiceML request: %s (headers: %s)", exc, sorted(request.headers))
        return JsonResponse({"error": str(exc)}, status=401)
    if request.method == "GET":
        return form_fields(request.META.get("QUERY_STRING", "").encode())
    return form_fields(body)
