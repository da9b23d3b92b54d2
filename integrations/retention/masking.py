"""How a number, a name and a raw text look once they may no longer be kept."""

from __future__ import annotations

import re

from calls.phone import normalize_phone
from clawsite.logs import redact

MASKED_NAME_SUFFIX = "**"


def mask_number(value: str) -> str:
    """``010-1234-5678`` → ``010-****-5678``: enough to tell calls apart in the figures."""
    if not value or "*" in value:
        return value
    digits = re.sub(r"\D", "", normalize_phone(value.replace("%2B", "+")))
    if len(digits) < 4:
        return "****"
    if len(digits) >= 9:
        return f"{digits[:3]}-****-{digits[-4:]}"
    return f"****-{digits[-4:]}"


def mask_name(value: str) -> str:
    """``김민지`` → ``김**``."""
    if not value or value.endswith(MASKED_NAME_SUFFIX):
        return value
    return value[:1] + MASKED_NAME_SUFFIX


def mask_text(value: str) -> str:
    """Free text that may quote a number or a body (an error, a job's last error)."""
    return redact(value) if value else value


def number_pattern(number: str) -> re.Pattern[str]:
    """Every way ``number`` may be written in a raw body or a text: 01012345678,
    010-1234-5678, +82 10 1234 5678, %2B821012345678 (form-encoded) …"""
    digits = re.sub(r"\D", "", normalize_phone(number))
    if digits.startswith("0"):
        head = r"(?:(?:\+|%2B)82[\s.+-]?|0)"
        rest = digits[1:]
    else:
        head, rest = "", digits
    separated = r"[\s.+()-]{0,3}".join(re.escape(d) for d in rest)
    return re.compile(rf"(?<!\d){head}{separated}(?!\d)")
