"""A database that cannot answer in time is a 503 on every page, never a hang or a 500.

The timeouts themselves are the connection's (settings: DATABASE_CONNECT_TIMEOUT_SECONDS,
DATABASE_STATEMENT_TIMEOUT_SECONDS, DATABASE_LOCK_TIMEOUT_SECONDS): a query that waits on a
lock or runs too long is cancelled by PostgreSQL and raises OperationalError. The webhook
views answer it with their own 503 (so the sender retries); this middleware does the same
for every other view, the admin included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # The class only: PostgreSQL's message may quote the statement's values.
        logger.warning("database unavailable on %s: %s", request.path, type(exception).__name__)
        response = HttpResponse(
            _("The database is not answering right now. Try again in a minute."),
            status=503, content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
