"""Hypothesis strategies for hostile values and for signed bodies of every webhook kind.

A body starts from one of the captured fixtures (one per kind) and has some of its fields
replaced, and some added, with values chosen to break parsers, databases and templates:
huge and negative numbers, dates at the edges of the calendar, NUL, lone surrogates,
markup, mentions, deep nesting, very long text, wrong JSON types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes

from django.conf import settings
from hypothesis import strategies as st

from calls.decoding import form_fields
from calls.signatures import clawops_signature, x_signature

FIXTURES = Path(__file__).parent / "fixtures"
FORM_FIXTURES = sorted(
    path.stem for path in FIXTURES.glob("*.json")
    if not path.stem.startswith(("json_", "signature"))
)
JSON_FIXTURES = sorted(path.stem for path in FIXTURES.glob("json_*.json"))
WEBHOOK_PATH = "/webhooks/clawops/"
# A placeholder swapped for raw JSON text (nesting too deep to build as Python objects).
DEEP = "\ue000deep\ue000"

NASTY_PIECES = [
    "\x00", "\ud800", "\udfff", "\ud83d", "\u202e", "\ufeff", "\r\n", "\t", "%00", "%",
    "<!channel>", "<https://evil.example/|여기를 눌러 확인>", "&amp;", "<script>alert(1)</script>",
    "'; DROP TABLE calls_call; --", "{{ settings.SECRET_KEY }}", "${jndi:x}", "\\", '"',
    "가나다", "😀", "이전 지시는 무시하고", "0" * 30, "9" * 5000, "-1", "1e999", "NaN",
]
EDGE_TIMESTAMPS = [
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z",
    "2026-11-26T09:15:02+23:59", "2026-11-26T09:15:02.123456789Z", "yesterday", "",
]

nasty_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(NASTY_PIECES), min_size=1, max_size=4).map("".join),
    st.sampled_from(EDGE_TIMESTAMPS),
    st.integers(min_value=0, max_value=60_000).map(lambda n: "가" * n),
    st.integers().map(str),
)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=20, max_value=4000).map(lambda n: int("9" * n)),
    nasty_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(nasty_text, inner, max_size=3)),
    max_leaves=8,
) | st.just(DEEP)


@dataclass(frozen=True)
class SignedBody:
    body: bytes
    content_type: str
    headers: dict[str, str]


def _with_hostile_fields(draw: st.DrawFn, base: dict[str, object], value) -> dict[str, object]:
    fields = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), max_size=len(base), unique=True)):
        fields[name] = draw(value)
    for name, extra in draw(st.dictionaries(nasty_text, value, max_size=3)).items():
        fields[name] = extra
    return fields


def _json_bytes(fields: object, depth: int) -> bytes:
    text = json.dumps(fields, ensure_ascii=draw_ascii(fields))
    deep = "[" * depth + "]" * depth
    return text.replace(json.dumps(DEEP), deep).encode("utf-8", errors="surrogatepass")


def draw_ascii(fields: object) -> bool:
    return True  # escapes keep lone surrogates in the JSON text as \\udXXX, as a sender would


@st.composite
def signed_json(draw: st.DrawFn) -> SignedBody:
    """A JSON body signed with X-ClawOps-Signature over its raw bytes."""
    name = draw(st.sampled_from(JSON_FIXTURES + FORM_FIXTURES))
    base = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    fields = _with_hostile_fields(draw, base, json_value)
    body = _json_bytes(fields, draw(st.sampled_from([1, 40, 5_000, 50_000])))
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        body = body[: settings.WEBHOOK_MAX_BODY_BYTES]  # still signed: a truncated body
    secret = settings.CLAWOPS_WEBHOOK_SECRETS[-1]
    return SignedBody(body, "application/json",
                      {"X-ClawOps-Signature": clawops_signature(body, secret)})


@st.composite
def signed_form(draw: st.DrawFn) -> SignedBody:
    """A form body signed with X-Signature over the public URL and the fields it holds."""
    name = draw(st.sampled_from(FORM_FIXTURES))
    base = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    fields = _with_hostile_fields(draw, base, nasty_text)
    tail = draw(st.sampled_from([b"", b"&", b"&=", b"&x", b"%", b"%zz", b"&\x00=1", b"\xff"]))
    return form_body(fields, WEBHOOK_PATH, tail)


def form_body(fields: dict[str, object], path: str, tail: bytes = b"") -> SignedBody:
    """``fields`` as a form body signed with X-Signature for ``path``."""
    # Percent-encoded bytes as a sender would write them; a lone surrogate becomes the
    # (invalid) UTF-8 bytes it would be encoded to.
    body = "&".join(
        quote_from_bytes(str(key).encode("utf-8", errors="surrogatepass"))
        + "=" + quote_from_bytes(str(value).encode("utf-8", errors="surrogatepass"))
        for key, value in fields.items()
    ).encode("ascii") + tail
    body = body[: settings.WEBHOOK_MAX_BODY_BYTES]
    url = settings.CLAWOPS_PUBLIC_BASE_URL + path
    key = settings.CLAWOPS_SIGNING_KEYS[-1]
    # Signed over the fields the receiver reads from these bytes, as ClawOps signs its own.
    signature = x_signature(url, form_fields(body), key)
    return SignedBody(body, "application/x-www-form-urlencoded", {"X-Signature": signature})


signed_bodies = st.one_of(signed_form(), signed_json())


@st.composite
def unsigned_bodies(draw: st.DrawFn) -> SignedBody:
    """A body of any kind whose signature is missing, wrong, or made with another key."""
    signed = draw(signed_bodies)
    header = draw(st.sampled_from(["missing", "garbage", "other-key"]))
    if header == "missing":
        headers = {}
    elif header == "garbage":
        headers = {name: draw(st.text(max_size=20).filter(str.isprintable))
                   for name in signed.headers}
    elif "X-Signature" in signed.headers:
        url = settings.CLAWOPS_PUBLIC_BASE_URL + WEBHOOK_PATH
        headers = {"X-Signature": x_signature(url, form_fields(signed.body), "not-our-key")}
    else:
        headers = {"X-ClawOps-Signature": clawops_signature(signed.body, "whsec_not_ours")}
    return SignedBody(signed.body, signed.content_type, headers)


@st.composite
def signed_orders(draw: st.DrawFn, secret: str) -> SignedBody:
    base = {"order_id": "A-1024", "customer_name": "김민지", "customer_phone": "010-5555-1234",
            "items": ["무선 이어폰", {"name": "충전 케이블", "quantity": 2}],
            "total_price": 12000}
    base["order_id"] = f"F-{draw(st.uuids()).hex[:12]}"  # most orders are new ones
    fields = _with_hostile_fields(draw, base, json_value)
    body = _json_bytes(fields, draw(st.sampled_from([1, 5_000])))
    return SignedBody(body, "application/json",
                      {"X-Order-Signature": clawops_signature(body, secret)})
