"""Limits on what a signed body may hold, applied at the edge before anything is stored.

A signature proves who sent a body, not that its values are sane. These checks keep
hostile-but-signed values (a number with thousands of digits, JSON nested fifty thousand
deep, a NUL byte, a lone UTF-16 surrogate, a date at the end of the calendar) out of the
parsed fields, the database and the admin. The raw bytes are kept as they came; only what
is read from them is refused. Pure functions, no Django: every endpoint shares them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

# Deeper JSON than this is refused before it is parsed (json.loads recurses per level).
MAX_JSON_DEPTH = 32
# A JSON number with more digits than this is no count, price or id anyone sends.
MAX_NUMBER_DIGITS = 20
# Timestamps outside this range are malformed: ClawOps reports what happens now.
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2100, 1, 1, tzinfo=UTC)

# A ClawOps call id as documented (CA7e1f2a, CAabcdef1234567890; contract §2, §7): what may
# go into a ClawOps URL path or key a row by call.
CALL_ID_SHAPE = re.compile(r"CA[0-9A-Za-z_-]{1,62}")

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_STRING_LITERAL = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class BoundsError(ValueError):
    """A value outside what is accepted; the message says which and is safe to show.

    ``field``: the top-level key of the JSON object the value was found under, if any."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored as text (NUL, lone surrogate), or None when it can.

    PostgreSQL refuses NUL in text and JSON, and UTF-8 cannot encode a lone surrogate."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL byte" if found.group() == "\x00" else "an unpaired UTF-16 surrogate"


def check_text(name: str, text: str) -> str:
    reason = unstorable(text)
    if reason:
        raise BoundsError(f"{name} contains {reason}")
    return text


def visible(text: str) -> str:
    """``text`` with NUL and lone surrogates written as escapes: safe to show and encode."""
    return _UNSTORABLE.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without recursion."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING_LITERAL.sub(b'""', body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise BoundsError(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _bounded_float(text: str) -> float:
    if len(text) > 2 * MAX_NUMBER_DIGITS + 8:
        raise BoundsError(f"a number is longer than {2 * MAX_NUMBER_DIGITS + 8} characters")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BoundsError("a number is too large")
    return value


def _no_constant(name: str) -> object:
    raise BoundsError(f"{name} is not JSON")


def load_json(body: bytes) -> object:
    """Parse a JSON body within the bounds above, or raise BoundsError saying why not.

    Every string, object key included, must be storable (see ``unstorable``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BoundsError("body is not valid UTF-8") from None
    if json_depth(body) > MAX_JSON_DEPTH:
        raise BoundsError(f"JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        data = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except BoundsError:
        raise
    except RecursionError:  # the depth count above should prevent it; never a 500
        raise BoundsError(f"JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BoundsError(f"malformed JSON: {exc}") from None
    _check_strings(data, "body")
    return data


def _check_strings(value: object, where: str) -> None:
    # Iterative: the depth is bounded already, but a wide body must not cost a deep stack.
    # Each entry: (value, its path for the message, the top-level key it is under).
    pending: list[tuple[object, str, str]] = [(value, where, "")]
    while pending:
        item, path, top = pending.pop()
        if isinstance(item, str):
            reason = unstorable(item)
            if reason:
                raise BoundsError(f"{path} contains {reason}", field=top)
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if unstorable(key):
                    raise BoundsError(f"a key in {path} contains {unstorable(key)}", field=top)
                pending.append((child, f"{path}.{key[:40]}", top or key))
        elif isinstance(item, list):
            pending.extend(
                (child, f"{path}[{index}]", top) for index, child in enumerate(item)
            )


def whole_number(text: str, *, low: int, high: int) -> int | None:
    """``text`` as a whole number within [low, high], or None if it is not one.

    Checked on length before conversion: Python refuses to convert more than 4,300 digits,
    and no bounded number needs more than a few."""
    text = text.strip()
    if not text or len(text) > len(str(high)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


def sane_timestamp(moment: datetime) -> datetime:
    """``moment`` (aware) in UTC, or BoundsError when it is outside the accepted years."""
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST_TIMESTAMP <= in_utc < LATEST_TIMESTAMP:
        raise BoundsError(
            f"timestamp {moment.isoformat()} is outside {EARLIEST_TIMESTAMP.year}"
            f"–{LATEST_TIMESTAMP.year - 1}"
        )
    return in_utc


def clean_header(value: str, limit: int = 512) -> str:
    """A header value as it may be kept with a delivery: bounded and storable."""
    return _UNSTORABLE.sub("\ufffd", value)[:limit]
