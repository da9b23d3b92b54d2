"""Log lines people and log shippers can use, with nothing in them that must not be kept.

- ``PlainFormatter``: ``2026-12-01T09:15:02.123+09:00 INFO calls.intake webhook accepted …``
- ``JsonFormatter`` (``LOG_FORMAT=json``): one JSON object per line, with the same ISO
  time, the level, the logger, the message and the structured fields a line carries
  (``delivery_id``, ``kind``, ``outcome``, ``call_id``, ``job_id``, ``state``, ``reason`` …).
- ``RedactFilter`` (on the handler, so on every line whoever wrote it): phone numbers become
  ``***-****-5678``, message bodies in form or JSON text become ``[body]``, and bearer tokens,
  API keys, Slack webhook paths and every configured secret become ``[secret]``, and the
  lines of a PostgreSQL error that quote row values (``DETAIL``, ``LINE n``, ``CONTEXT``)
  become ``[values]`` — in the message, in its structured fields and in tracebacks.
  httpx's own request line (which names the URL, the Slack one a secret) is kept below the
  log level (settings.LOGGING).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from functools import lru_cache

# A Korean phone number as people and ClawOps write it: 010-1234-5678, 01012345678,
# +82 10 1234 5678, 02-123-4567 … (digits not glued to other digits, so ids survive).
_PHONE = re.compile(
    r"(?<![\w.])(?:(?:\+|%2B)82[\s.+-]?|0)(?:1[016789]|2|[3-6][1-5]|70|50\d)"
    r"[\s.+-]?\d{3,4}[\s.+-]?(\d{4})(?!\d)"
)
_BODY = re.compile(
    r"""(?P<key>(?<![A-Za-z])(?:Body|body|Subject|subject|text|transcript|customer_name|patient_name)
        (?:=|["']?\s*:\s*["']?))(?P<value>[^&"'\n]*)""",
    re.VERBOSE,
)
_SQL_VALUES = re.compile(r"^(\s*(?:DETAIL|LINE \d+|CONTEXT|HINT)):.*$", re.MULTILINE)
_TOKENS = re.compile(
    r"(?i)(bearer\s+)[^\s\"',]+|\b(?:sk|whsec|xox[abp])_[A-Za-z0-9_-]{4,}"
    r"|hooks\.slack\.com/services/[^\s\"']+"
)


@lru_cache(maxsize=1)
def _configured_secrets() -> tuple[str, ...]:
    from django.conf import settings

    names = ("CLAWOPS_API_KEY", "CRM_API_TOKEN", "SLACK_WEBHOOK_URL", "METRICS_TOKEN",
             "SECRET_KEY")
    lists = ("CLAWOPS_SIGNING_KEYS", "CLAWOPS_WEBHOOK_SECRETS", "ORDER_WEBHOOK_SECRETS")
    try:
        values = [getattr(settings, name, "") for name in names]
        for name in lists:
            values.extend(getattr(settings, name, []) or [])
    except Exception:  # settings not configured yet: nothing to hide by value
        return ()
    # Longest first, and only values long enough not to blank out ordinary words.
    return tuple(sorted({v for v in values if isinstance(v, str) and len(v) >= 6},
                        key=len, reverse=True))


# Cheap tests that let most lines skip a pattern: every line of every request passes here.
_TOKEN_HINTS = ("earer", "EARER", "sk_", "whsec_", "xox", "hooks.slack")
_BODY_HINTS = ("ody", "ubject", "text", "transcript", "_name")
_PHONE_HINT = re.compile(r"(?:0|82)[\s.+-]?\d")


def redact(text: str) -> str:
    for secret in _configured_secrets():
        if secret in text:
            text = text.replace(secret, "[secret]")
    if any(hint in text for hint in _TOKEN_HINTS):
        text = _TOKENS.sub(lambda m: (m.group(1) or "") + "[secret]", text)
    if any(hint in text for hint in _BODY_HINTS):
        text = _BODY.sub(lambda m: m.group("key") + "[body]", text)
    if "\n" in text:  # PostgreSQL's DETAIL/LINE/CONTEXT lines only follow a first line
        text = _SQL_VALUES.sub(lambda m: m.group(1) + ": [values]", text)
    if _PHONE_HINT.search(text):
        text = _PHONE.sub(lambda m: f"***-****-{m.group(1)}", text)
    return text


# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    return {key: value for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")}


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in extra_fields(record).items():
            if isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def iso_time(record: logging.LogRecord) -> str:
    """Local time with its offset (Django sets the process's zone to TIME_ZONE)."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": iso_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            line[key] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)
