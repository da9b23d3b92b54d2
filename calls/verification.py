"""Which signature scheme a request uses, and whether it holds (product.md §5 rule 1).

Runs on the raw body before anything else reads it. The X-Signature URL is rebuilt from
CLAWOPS_PUBLIC_BASE_URL plus the request's path and query string: behind a TLS proxy the
app server sees another scheme and host than the one ClawOps signed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from calls.decoding import form_fields
from calls.models import Scheme
from calls.signatures import verify_clawops_signature, verify_x_signature

X_SIGNATURE_HEADER = "X-Signature"
CLAWOPS_SIGNATURE_HEADER = "X-ClawOps-Signature"


class SignatureRejected(Exception):
    """The request is not signed by ClawOps; the message is safe to show the sender."""


def public_url(request: HttpRequest) -> str:
    return settings.CLAWOPS_PUBLIC_BASE_URL + request.get_full_path()


def _x_signature_inputs(
    request: HttpRequest, body: bytes, url: str | None
) -> list[tuple[str, dict[str, str]]]:
    """The (URL, fields) pairs X-Signature may cover. A POST: its URL and its form fields.
    A GET (a VoiceML document fetched by a number whose webhookMethod is GET) carries its
    fields in the query string; the contract does not say which way ClawOps signs it, so
    either holds: the URL without the query plus the query fields (the SDK's reading), or
    the whole URL with no fields (Twilio's)."""
    full_url = url or public_url(request)
    if request.method != "GET":
        return [(full_url, form_fields(body))]
    query = request.META.get("QUERY_STRING", "")
    return [
        (full_url.partition("?")[0], form_fields(query.encode())),
        (full_url, {}),
    ]


def verify(request: HttpRequest, body: bytes, url: str | None = None) -> str:
    """Return the scheme whose signature holds, or raise SignatureRejected.

    ``url``: the request's public URL, when the caller has it already."""
    x_signature = request.META.get("HTTP_X_SIGNATURE")
    clawops_signature = request.META.get("HTTP_X_CLAWOPS_SIGNATURE")
    if x_signature is None and clawops_signature is None:
        raise SignatureRejected(
            f"missing signature: send {X_SIGNATURE_HEADER} or {CLAWOPS_SIGNATURE_HEADER}"
        )
    is_json = request.content_type == "application/json"
    if x_signature is not None and clawops_signature is None and is_json:
        raise SignatureRejected(f"{X_SIGNATURE_HEADER} signs form fields; body is JSON")
    # Any one scheme that holds is enough; X-Signature covers form fields only, so on a
    # JSON body (which may carry it too) only the body signature is checked.
    if x_signature is not None and settings.CLAWOPS_SIGNING_KEYS and not is_json:
        for signed_url, params in _x_signature_inputs(request, body, url):
            if verify_x_signature(signed_url, params, x_signature, settings.CLAWOPS_SIGNING_KEYS):
                return Scheme.X_SIGNATURE
    if clawops_signature is not None and settings.CLAWOPS_WEBHOOK_SECRETS:
        if verify_clawops_signature(body, clawops_signature, settings.CLAWOPS_WEBHOOK_SECRETS):
            return Scheme.CLAWOPS_SIGNATURE
    raise SignatureRejected("signature does not match")
