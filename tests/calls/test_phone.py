import pytest

from calls.phone import format_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["01012345678", "010-1234-5678", "010 1234 5678", "+82 10-1234-5678", "+821012345678",
     "(010) 1234.5678", " +82-010-1234-5678 "],
)
def test_it_normalises_every_common_format_to_domestic_digits(raw):
    assert normalize_phone(raw) == "01012345678"


@pytest.mark.parametrize("raw", ["sip:desk@pbx.example.com", "anonymous", "+1 415 555 0100", ""])
def test_it_keeps_what_is_not_a_korean_number(raw):
    assert normalize_phone(raw) == raw.strip()


@pytest.mark.parametrize(
    ("number", "shown"),
    [("01012345678", "010-1234-5678"), ("0212345678", "02-1234-5678"),
     ("07052351234", "070-5235-1234"), ("15881234", "1588-1234")],
)
def test_it_formats_numbers_for_korean_readers(number, shown):
    assert format_phone(number) == shown
