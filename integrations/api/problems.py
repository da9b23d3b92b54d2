"""One error format for the API and the order webhook: RFC 9457 problem details.

Every error answer is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and, for invalid fields, ``errors`` (field → messages). ``type`` is
``about:blank`` (RFC 9457 §4.2.1): the status code says what kind of problem it is, and
``title`` is that status's phrase. Texts are English unless the client asks for Korean
(``Accept-Language: ko``); clawsite's pages default to Korean, the API to English, because
its readers are developers and their logs.

DRF's own exception texts never reach a client: each exception class is mapped to a message
of ours, with its Korean translation in the catalogue.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import exceptions
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
BODY_FIELD = "body"  # where errors about the body as a whole are listed

# The phrase of each status clawsite answers with (RFC 9110 §15), as the problem's title.
TITLES = {
    400: gettext_lazy("Bad Request"),
    401: gettext_lazy("Unauthorized"),
    404: gettext_lazy("Not Found"),
    405: gettext_lazy("Method Not Allowed"),
    406: gettext_lazy("Not Acceptable"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Content Too Large"),
    415: gettext_lazy("Unsupported Media Type"),
    429: gettext_lazy("Too Many Requests"),
    500: gettext_lazy("Internal Server Error"),
    503: gettext_lazy("Service Unavailable"),
}


class Problem(Exception):
    """An error answer: raised anywhere below a view, turned into a response by it."""

    def __init__(self, status: int, detail: str, *, errors: Mapping[str, list[str]] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = str(detail)
        self.errors = {name: [str(message) for message in messages]
                       for name, messages in (errors or {}).items()}
        self.headers = dict(headers or {})


def language(request: HttpRequest) -> str:
    """"ko" when the client's Accept-Language prefers Korean to English, else "en"."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        code = code.lower()
        if code.startswith("ko"):
            return "ko"
        if code.startswith("en") or code == "*":
            return "en"
    return "en"


def response(problem: Problem) -> HttpResponse:
    """The problem as an HTTP response, in the language active now."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(problem.status, TITLES[500])),
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = problem.errors
    answer = HttpResponse(json.dumps(body, ensure_ascii=False), status=problem.status,
                          content_type=CONTENT_TYPE)
    # Said here, not left to LocaleMiddleware: the API's language is not the site's.
    answer["Content-Language"] = translation.get_language()
    for name, value in problem.headers.items():
        answer[name] = value
    return answer


def invalid(errors: Mapping[str, list[str]]) -> Problem:
    return Problem(400, _("Some fields are invalid; nothing was stored."), errors=errors)


def flat_errors(errors: Any) -> dict[str, list[str]]:
    """DRF's nested errors as ``{field: [message, …]}``: an item of a list field becomes
    ``items[1]``, a key of an object field ``items[1].name``; errors about the body as a
    whole go under "body"."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                key = BODY_FIELD if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
                if key.isdigit():
                    walk(f"{prefix}[{key}]", inner)
                else:
                    walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list) and value and not isinstance(value[0], str):
            for inner in value:
                walk(prefix, inner)
        else:
            messages = value if isinstance(value, list) else [value]
            flat.setdefault(prefix or BODY_FIELD, []).extend(str(m) for m in messages)

    walk("", errors)
    return flat


def from_exception(exc: Exception, *, allowed_methods: list[str] | None = None) -> Problem:
    """The problem an exception raised in an API view stands for; unexpected ones are
    logged with their traceback and answered 500 without details."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, exceptions.ValidationError):
        return invalid(flat_errors(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return invalid({BODY_FIELD: [_("The body is not valid JSON.")]})
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return Problem(401, str(exc.detail), headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, exceptions.NotFound | Http404):
        return Problem(404, _("There is nothing at this address, or it belongs to another "
                              "clinic."))
    if isinstance(exc, exceptions.MethodNotAllowed):
        headers = {"Allow": ", ".join(allowed_methods)} if allowed_methods else {}
        return Problem(405, _("This address does not answer this method."), headers=headers)
    if isinstance(exc, exceptions.NotAcceptable):
        return Problem(406, _("The answer can only be JSON."))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Problem(415, _("Send the body as JSON (Content-Type: application/json)."))
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(exc.wait or 1))
        return too_many_requests(wait)
    if isinstance(exc, exceptions.APIException):
        logger.warning("API exception without a problem of its own: %s", type(exc).__name__)
        return Problem(exc.status_code if exc.status_code in TITLES else 500,
                       _("The request could not be handled."))
    logger.exception("unexpected error in an API view")
    return Problem(500, _("Something went wrong on our side; nothing was stored. Try again "
                          "later."))


def too_many_requests(wait_seconds: int) -> Problem:
    return Problem(429, _("Too many requests with this key; try again in %(seconds)d s.")
                   % {"seconds": wait_seconds}, headers={"Retry-After": str(wait_seconds)})


def too_large(limit: int) -> Problem:
    return Problem(413, _("The body is larger than %(limit)d bytes; nothing was stored.")
                   % {"limit": limit})

