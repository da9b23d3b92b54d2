"""What every response and request gets for safety: refusals at the edge of the app.

NulInQueryMiddleware: PostgreSQL cannot compare text with a NUL byte, so a list filter or a
search with ``%00`` would end in a database error (a 500). Such a query string is answered
400 before any view reads it; nothing legitimate sends one. The booking-system API answers
it as it answers every error: problem details, in the client's language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _

from integrations.api import problems

API_PREFIX = "/api/"


class NulInQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The raw query string: percent-encoded NUL is the only way one arrives (a bare NUL
        # byte cannot be sent in a request line). Cheap enough for every request.
        if "%00" not in request.META.get("QUERY_STRING", ""):
            return self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            with translation.override(problems.language(request)):
                return problems.response(problems.Problem(400, nul_refused()))
        return HttpResponseBadRequest(nul_refused(), content_type="text/plain; charset=utf-8")


def nul_refused() -> str:
    return _("The address contains a NUL character, which is not allowed.")
