"""Every log line, at every level, without secrets or customers' data.

A filter on the log handler rewrites each record before it is written: the configured secrets
(the Slack webhook URL, API keys and tokens, signing secrets) become ``[secret]``, phone
numbers ``[phone]``, and the lines of a PostgreSQL error that quote row values (``DETAIL``,
``LINE n``, ``CONTEXT``) ``[values]``, in the message and in any traceback. It is the last
guard, not the first: code logs ids and kinds, never bodies or field values, and httpx's own
request line (which names the URL, the Slack one a secret) is kept below the log level.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from django.conf import settings

_PHONE = re.compile(r"(?<![\d])(?:\+82[\s.-]?|0)\d{1,2}[\s.-]?\d{3,4}[\s.-]?\d{4}(?![\d])")
_SQL_VALUES = re.compile(r"^(\s*(?:DETAIL|LINE \d+|CONTEXT|HINT)):.*$", re.MULTILINE)
_BEARER = re.compile(r"(?i)\b(bearer\s+|(?:token|key|secret|signature)[\"']?\s*[:=]\s*[\"']?)"
                     r"[^\s\"',;]+")
_SLACK_HOOK = re.compile(r"https://hooks\.slack\.com/[^\s\"']+")
# Secrets shorter than this are not searched for: too likely to match ordinary text.
_SHORTEST_SECRET = 6

_SECRET_SETTINGS = (
    "SECRET_KEY", "SLACK_WEBHOOK_URL", "CRM_API_TOKEN", "CLAWOPS_API_KEY",
    "CLAWOPS_SIGNING_KEYS", "CLAWOPS_WEBHOOK_SECRETS", "ORDER_WEBHOOK_SECRETS",
)


def _values(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _values(item)


def configured_secrets() -> list[str]:
    found = [secret for name in _SECRET_SETTINGS
             for secret in _values(getattr(settings, name, ""))]
    password = settings.DATABASES.get("default", {}).get("PASSWORD")
    if password:
        found.append(password)
    # Longest first, so a URL is replaced before a key it contains.
    return sorted({s for s in found if len(s) >= _SHORTEST_SECRET}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    text = _SLACK_HOOK.sub("[secret]", text)
    text = _BEARER.sub(lambda found: f"{found.group(1)}[secret]", text)
    text = _SQL_VALUES.sub(lambda found: f"{found.group(1)}: [values]", text)
    return _PHONE.sub("[phone]", text)


class RedactFilter(logging.Filter):
    """On the handler, so it sees every record that is written, whichever logger made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = configured_secrets()
        record.msg = redact(record.getMessage(), secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True
