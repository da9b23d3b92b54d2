"""Optional error reporting to Sentry (``SENTRY_DSN``), with personal data off: no user,
no request bodies, no cookies, and every message and exception text redacted like logs."""

from __future__ import annotations

from typing import Any

from clawsite.logs import redact


def start_sentry(dsn: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub,
        traces_sample_rate=0.0,
    )


def scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Remove what could hold a number or a body before the event leaves."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items()
                                  if k.lower() in ("content-type", "user-agent", "host")}
    if isinstance(event.get("logentry"), dict):
        for key in ("message", "formatted"):
            if isinstance(event["logentry"].get(key), str):
                event["logentry"][key] = redact(event["logentry"][key])
        event["logentry"].pop("params", None)
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values", []) or []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = redact(crumb["message"])
        crumb.pop("data", None)
    return event
