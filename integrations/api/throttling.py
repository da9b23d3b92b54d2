"""The per-key rate limit: API_RATE_LIMIT_PER_MINUTE requests per key and minute, counted
in the database (integrations/api/keys.py), answered 429 with Retry-After beyond it."""

from __future__ import annotations

import math

from django.conf import settings
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from integrations.api import keys


class PerKeyRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.wait_seconds = 0.0

    def allow_request(self, request, view) -> bool:
        counted = keys.count_request(request.auth)
        if counted.count <= settings.API_RATE_LIMIT_PER_MINUTE:
            return True
        self.wait_seconds = max(1, math.ceil(
            (counted.window_ends_at - timezone.now()).total_seconds()))
        return False

    def wait(self) -> float:
        return self.wait_seconds
