"""Optional error reporting: off without SENTRY_DSN; with it, personal data stays off."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import django, sentry_sdk; django.setup(); client = sentry_sdk.get_client(); "
    "print(client.is_active(), client.options['send_default_pii'], "
    "client.options['max_request_body_size'], "
    "getattr(client.options['before_send'], '__name__', None))"
)


def run(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, capture_output=True, text=True,
        timeout=60, env={**{k: v for k, v in os.environ.items() if k != "SENTRY_DSN"},
                         "DJANGO_SETTINGS_MODULE": "clawsite.settings",
                         "DJANGO_SECRET_KEY": "x", **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_it_sends_nothing_without_a_dsn():
    assert run().startswith("False")


def test_it_reports_with_personal_data_off_when_a_dsn_is_set():
    # Initialising makes no request; nothing is sent until an error happens.
    assert run(SENTRY_DSN="https://public@o0.ingest.sentry.invalid/1") == "True False never scrub"
