"""Serve ``/healthz`` and ``/metrics`` before anything else looks at the request.

A load balancer's probe or a Prometheus scrape often addresses the server by IP, which is
not in DJANGO_ALLOWED_HOSTS: Django's host check (CommonMiddleware) would answer 400. These
two endpoints read nothing from the Host header, use no session, cookie or CSRF token, and
are first in MIDDLEWARE so they answer whatever the Host says.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from clawsite import health, metrics

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.healthz,
    "/metrics": metrics.metrics_view,
}


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return probe(request)
