"""The app's URLs plus ``/bench/bare/``: the cheapest Django answer on the same server."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from clawsite.urls import urlpatterns as app_urlpatterns


# Exempt like the webhook view (DRF's APIView is), so a POST is answered, not refused by CSRF.
@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [*app_urlpatterns, path("bench/bare/", bare, name="bench-bare")]
