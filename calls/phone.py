"""Korean phone numbers in one canonical form.

ClawOps stores and sends domestic digits (``01012345678``) and accepts ``+82`` and the usual
separators (contract §8). Everything in clawsite compares numbers in that domestic form;
the value as received is kept beside it.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"\d+")


def normalize_phone(raw: str) -> str:
    """Return the domestic form of a Korean number, or the trimmed input if it is not one.

    ``+82 10-1234-5678``, ``010.1234.5678`` and ``(010) 1234 5678`` all become
    ``01012345678``. Anything that is not a plausible Korean number (a SIP URI, a foreign
    number, "anonymous") comes back unchanged apart from surrounding spaces, so nothing is lost.
    """
    value = raw.strip()
    compact = _SEPARATORS.sub("", value)
    if compact.startswith("+82"):
        rest = compact[3:]
        compact = rest if rest.startswith("0") else "0" + rest
    if _DIGITS.fullmatch(compact) and (compact.startswith("0") or len(compact) == 8):
        # 8-digit representative numbers (1588-1234) have no leading zero.
        return compact
    return value


def is_korean_number(number: str) -> bool:
    """Whether a normalised number is one ClawOps can call or text: 0 and 8–10 more digits
    (010…, 02…, 070…), or an 8-digit representative number (1588-1234)."""
    if not number.isdigit():
        return False
    return (number.startswith("0") and 9 <= len(number) <= 11) or (
        len(number) == 8 and number[0] == "1"
    )


def format_phone(number: str) -> str:
    """Hyphenate a domestic number the way Korean readers expect (010-1234-5678)."""
    n = normalize_phone(number)
    if not n.isdigit():
        return n
    if n.startswith("02") and len(n) in (9, 10):
        return f"02-{n[2:-4]}-{n[-4:]}"
    if len(n) == 8:
        return f"{n[:4]}-{n[4:]}"
    if len(n) in (10, 11):
        return f"{n[:3]}-{n[3:-4]}-{n[-4:]}"
    return n
