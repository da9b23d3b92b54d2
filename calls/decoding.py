"""Turn a stored raw body back into the mapping the payload parser reads.

Used on every delivery (after its signature is verified) and again on replay, so a
delivery replays exactly as it was first read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from urllib.parse import parse_qsl

from calls.bounds import BoundsError, load_json
from calls.payloads import PayloadError


def form_fields(body: bytes, *, strict: bool = False) -> dict[str, str]:
    """Form fields, last value winning (ClawOps never repeats a key; contract §4.1).

    ``strict`` raises PayloadError for a body that is not well-formed form encoding;
    without it, the lenient reading that signature verification must use. Both readings
    of a well-formed body are the same, so it is parsed once for both.
    """
    if not strict:
        try:
            return dict(_pairs(body, strict=True))
        except (PayloadError, UnicodeDecodeError):
            pass
    return dict(_pairs(body, strict=strict))


@functools.lru_cache(maxsize=8)
def _pairs(body: bytes, *, strict: bool) -> tuple[tuple[str, str], ...]:
    # Each delivery is read twice (to verify it, then to apply it); a few recent bodies
    # are kept so the second reading costs nothing. Immutable, so sharing is safe.
    text = body.decode("utf-8", errors="strict" if strict else "replace")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=strict and bool(text))
    except ValueError as exc:
        raise PayloadError(f"malformed form body: {exc}") from None
    return tuple(pairs)


def decode_body(content_type: str, body: bytes) -> Mapping[str, object]:
    """The fields of a verified body, or PayloadError saying why there are none.

    Read by its content type, not by the scheme that verified it: the body signature may
    cover a form as well as JSON."""
    if not is_json(content_type, body):
        try:
            return form_fields(body, strict=True)
        except UnicodeDecodeError:
            raise PayloadError("form body is not valid UTF-8") from None
    try:
        data = load_json(body)
    except BoundsError as exc:
        raise PayloadError(f"JSON body refused: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"JSON body must be an object, not {type(data).__name__}")
    return data


def is_json(content_type: str, body: bytes) -> bool:
    if content_type:
        return content_type.split(";")[0].strip().lower() == "application/json"
    return body.lstrip()[:1] in (b"{", b"[")
