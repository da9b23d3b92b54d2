"""What every response and request gets for safety: refusals at the edge of the app.

NulInQueryMiddleware: PostgreSQL cannot compare text with a NUL byte, so a list filter or a
search with ``%00`` would end in a database error (a 500). Such a query string is answered
400 before any view reads it; nothing legitimate sends one.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class NulInQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The raw query string: percent-encoded NUL is the only way one arrives (a bare NUL
        # byte cannot be sent in a request line). Cheap enough for every request.
        if "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest(
                _("The address contains a NUL character, which is not allowed."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
