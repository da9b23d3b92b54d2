"""Security headers (settings, django-csp): a Content-Security-Policy on the pages people
open, HSTS and secure, HttpOnly cookies behind the TLS proxy, and `check --deploy` clean in
that mode. The proxy mode is read from the environment at start-up, so it is tried in a
fresh process, as a deployment would start."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOYED = {
    "DJANGO_SETTINGS_MODULE": "clawsite.settings",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "DJANGO_ALLOWED_HOSTS": "clinic.example.com",
    "DJANGO_BEHIND_TLS_PROXY": "true",
    "CLAWOPS_SIGNING_KEY": "sk_sign", "CLAWOPS_WEBHOOK_SECRET": "whsec",
    "CLAWOPS_PUBLIC_BASE_URL": "https://clinic.example.com",
    "CLAWOPS_API_KEY": "sk_api", "CLAWOPS_ACCOUNT_ID": "AC1",
    "CLAWOPS_FROM_NUMBER": "07052351234", "CLAWOPS_ORDER_AGENT_ID": "agent",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.example/x", "CRM_API_URL": "https://crm.example",
    "CRM_API_TOKEN": "crm", "ORDER_WEBHOOK_SECRET": "ordsec",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("DJANGO_", "CLAWOPS_", "SLACK_", "CRM_", "ORDER_"))}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **DEPLOYED, **env},
                          capture_output=True, text=True, timeout=120)


def test_it_passes_check_deploy_behind_the_tls_proxy():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_fails_check_deploy_without_the_proxy_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 DJANGO_BEHIND_TLS_PROXY="false")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stdout + result.stderr


PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="clinic.example.com")
https = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
plain = client.get("/admin/login/")
health = client.get("/healthz")
print(json.dumps({
    "hsts": https.get("Strict-Transport-Security"),
    "csrf_cookie": {key: https.cookies["csrftoken"][key] for key in ("secure", "httponly")},
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
    "plain": [plain.status_code, plain.get("Location")],
    "health": health.status_code,
}))
"""


def test_it_sends_hsts_and_secure_httponly_cookies_behind_the_tls_proxy():
    result = run(["-c", PROBE], DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["csrf_cookie"] == {"secure": True, "httponly": True}
    assert seen["session_cookie"] == [True, True]
    assert seen["plain"] == [301, "https://clinic.example.com/admin/login/"]
    assert seen["health"] in (200, 503)  # answered over plain http, never redirected


@pytest.mark.django_db
def test_it_sends_a_strict_content_security_policy_on_admin_pages(admin_client):
    for url in ("/admin/login/", "/admin/", "/admin/calls/call/"):
        policy = admin_client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'"
        # A nonce appears only when a page gives one to an inline script; the admin has none.
        assert directives["script-src"].split(" ")[0] == "'self'"
        assert all(source.startswith("'nonce-") for source in directives["script-src"].split()[1:])
        assert directives["style-src"].split(" ")[0] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        # The recording on the call page plays from ClawOps' https address.
        assert directives["media-src"] == "'self' https:"
        assert "unsafe" not in policy


@pytest.mark.django_db
def test_it_sends_no_policy_to_machines(client):
    assert "Content-Security-Policy" not in client.get("/healthz")
    assert "Content-Security-Policy" not in client.post("/webhooks/clawops/", data={})


@pytest.mark.django_db
def test_it_lets_the_api_docs_run_their_inline_code_by_nonce_only(client):
    response = client.get("/api/docs/")
    policy = response["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    page = response.content.decode()

    assert f"'nonce-{nonce}'" in policy.split("script-src")[1].split(";")[0]
    assert f"'nonce-{nonce}'" in policy.split("style-src")[1].split(";")[0]
    assert page.count(f'nonce="{nonce}"') == 2  # the inline style and the inline script
    assert page.count("<script>") == 0 and page.count("<style>") == 0
