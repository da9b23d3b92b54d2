"""``POST /bench/bare/``: the one view of the bare baseline app (bench/bare_settings.py)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path


def bare(request: HttpRequest) -> JsonResponse:
    # Reads the body like the intake does, so both pay for receiving the same request.
    return JsonResponse({"ok": True, "bytes": len(request.body)})


urlpatterns = [path("bench/bare/", bare)]
