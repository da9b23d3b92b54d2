"""API keys: made once and shown once, stored as a hash, sent as ``Authorization: Bearer``.

``authenticate`` turns the header into the key's row (and so its clinic); ``count_request``
counts the request in the key's rate-limit window in the database, so every web process
shares one count.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from integrations.api.problems import Problem
from integrations.models import ApiKey, Clinic

KEY_PREFIX = "csk_"  # makes a leaked key recognisable in a log or a repository
SHOWN_PREFIX_LENGTH = 12
RATE_WINDOW = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(clinic: Clinic, name: str) -> tuple[ApiKey, str]:
    """A new key for the clinic: the row, and the key itself (which is not stored)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey.objects.create(name=name, clinic=clinic, prefix=key[:SHOWN_PREFIX_LENGTH],
                                key_hash=hash_key(key))
    return row, key


def revoke(queryset) -> int:
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="clawsite"'})


def key_from(request: HttpRequest) -> ApiKey:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, key = header.strip().partition(" ")
    if not header:
        raise unauthorized(_("Send your API key: Authorization: Bearer <key>."))
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized(_("The Authorization header must be: Bearer <key>."))
    row = (ApiKey.objects.select_related("clinic")
           .filter(key_hash=hash_key(key.strip()), revoked_at__isnull=True).first())
    if row is None:
        raise unauthorized(_("This API key is not valid: it was mistyped or revoked."))
    return row


class ApiKeyAuthentication(BaseAuthentication):
    """request.auth is the ApiKey; there is no user (keys belong to clinics, not people)."""

    def authenticate(self, request) -> tuple[None, ApiKey]:
        return None, key_from(request._request)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="clawsite"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "`python manage.py create_api_key \"<clinic>\"` prints a key."}


@dataclass(frozen=True)
class WindowCount:
    count: int
    window_ends_at: datetime


def count_request(key: ApiKey, now: datetime | None = None) -> WindowCount:
    """Count one request in the key's current one-minute window (a new window when the
    last one is over) and note when the key was last used. One conditional UPDATE: two
    requests at once are both counted, whatever process serves them."""
    now = now or timezone.now()
    still_open = Q(rate_window_started_at__gt=now - RATE_WINDOW)
    with transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(
            rate_window_count=Case(When(still_open, then=F("rate_window_count") + 1),
                                   default=Value(1)),
            rate_window_started_at=Case(When(still_open, then=F("rate_window_started_at")),
                                        default=Value(now)),
            last_used_at=now,
        )
        # Read under the row lock the UPDATE took: what this request made of the window.
        count, started = ApiKey.objects.filter(pk=key.pk).values_list(
            "rate_window_count", "rate_window_started_at").get()
    return WindowCount(count, started + RATE_WINDOW)
