"""Webhooks and VoiceML go around the admin's middleware.

The session, locale, CSRF, authentication and messages middleware, WhiteNoise and the
browser security headers exist for people using the admin. A webhook sender reads none of
what they add, yet on the busiest path of the app they cost more per delivery than
verifying and storing it. This middleware comes right after the probes' in MIDDLEWARE: a
request for a URL of clawsite/machine_urls.py goes straight to its view; every other request
goes down the full stack unchanged. The Host header is still checked against
DJANGO_ALLOWED_HOSTS, as CommonMiddleware would. The views check their own methods and
signatures, and are CSRF-exempt either way (no cookie authenticates them).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import translation

MACHINE_URLCONF = "clawsite.machine_urls"


class MachineRoutesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.resolver = get_resolver(MACHINE_URLCONF)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            match = self.resolver.resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        request.resolver_match = match
        request.get_host()  # DisallowedHost (400) for a Host not in DJANGO_ALLOWED_HOSTS
        # LocaleMiddleware leaves the language of the last admin page active in this
        # thread; a machine view starts in the default language instead (one that answers
        # in the caller's language, like the order webhook, chooses it itself).
        translation.activate(settings.LANGUAGE_CODE)
        response = match.func(request, *match.args, **match.kwargs)
        if response is None:
            raise ValueError(f"the view of {request.path_info} returned None")
        # A deferred response (DRF's Response) is rendered here, as Django's handler does.
        if callable(getattr(response, "render", None)):
            response = response.render()
        return response
