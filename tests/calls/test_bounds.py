"""calls/bounds.py: the limits every signed body is read within."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from calls.bounds import (
    MAX_JSON_DEPTH,
    BoundsError,
    clean_header,
    json_depth,
    load_json,
    sane_timestamp,
    unstorable,
    visible,
    whole_number,
)


def test_it_counts_nesting_without_recursing_and_ignores_brackets_in_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth(b"[" * 50_000 + b"]" * 50_000) == 50_000


def test_it_refuses_json_nested_deeper_than_the_limit_before_parsing():
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(BoundsError, match="nested"):
        load_json(deep)
    with pytest.raises(BoundsError, match="nested"):
        load_json(b"[" * 50_000)
    assert load_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None


@pytest.mark.parametrize("body", [b'{"n": ' + b"9" * 5000 + b"}", b'{"n": 1e999}',
                                  b'{"n": NaN}', b'{"n": -Infinity}'])
def test_it_refuses_numbers_no_sender_means(body):
    with pytest.raises(BoundsError):
        load_json(body)


@pytest.mark.parametrize("body", [b'{"a": "x\\u0000y"}', b'{"a\\u0000": 1}',
                                  b'{"a": ["\\ud800"]}', b'{"a": {"b": "\\udfff"}}'])
def test_it_refuses_strings_that_cannot_be_stored_anywhere_in_the_document(body):
    with pytest.raises(BoundsError, match="NUL|surrogate"):
        load_json(body)


def test_it_accepts_a_paired_surrogate_escape_and_korean_text():
    body = '{"a": "\\ud83d\\ude00", "b": "김민지"}'.encode()
    assert load_json(body) == {"a": "😀", "b": "김민지"}


def test_it_refuses_bytes_that_are_not_utf8():
    with pytest.raises(BoundsError, match="UTF-8"):
        load_json(b'{"a": "\xff"}')


def test_it_says_why_a_text_cannot_be_stored_and_shows_it_safely():
    assert unstorable("fine 김민지") is None
    assert unstorable("a\x00b") == "a NUL byte"
    assert unstorable("a\ud800b") == "an unpaired UTF-16 surrogate"
    shown = visible("a\x00b\ud800c")
    assert shown == "a\\x00b\\ud800c"
    shown.encode("utf-8")  # encodable


def test_it_reads_a_whole_number_only_within_its_bounds_without_converting_huge_text():
    assert whole_number(" 120 ", low=0, high=2_000_000_000) == 120
    assert whole_number("9" * 5000, low=0, high=2_000_000_000) is None
    assert whole_number("١٢", low=0, high=100) is None  # Arabic-Indic digits
    assert whole_number("-1", low=0, high=100) is None
    assert whole_number("101", low=0, high=100) is None


def test_it_treats_timestamps_outside_sane_years_as_malformed():
    assert sane_timestamp(datetime(2026, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=9)))) \
        == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    for moment in (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
                   datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
                   datetime(1999, 12, 31, 23, 59, tzinfo=UTC)):
        with pytest.raises(BoundsError, match="outside"):
            sane_timestamp(moment)


def test_it_keeps_header_values_bounded_and_storable():
    assert clean_header("curl\x00/8\ud800") == "curl\ufffd/8\ufffd"
    assert len(clean_header("a" * 5000)) == 512
    json.dumps(clean_header("x\ud800")).encode("utf-8")
