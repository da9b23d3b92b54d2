"""The one body-size rule for every endpoint that takes a body: WEBHOOK_MAX_BODY_BYTES."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def body_too_large(request: HttpRequest) -> bool:
    """Whether the request's body is over WEBHOOK_MAX_BODY_BYTES. The declared length is
    checked first, so a body announced as too large is refused without being read; the
    body read is checked too, for a sender that declares none (chunked) or too little."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    return _declared_length(request) > limit or len(request.body) > limit


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
