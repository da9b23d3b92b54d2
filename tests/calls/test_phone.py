import pytest

from calls.phone import format_phone, is_korean_number, korean_number, normalize_phone


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


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("010-1234-5678", "01012345678"), ("+82 10-1234-5678", "01012345678"),
     ("011-123-4567", "0111234567"), ("02-1234-5678", "0212345678"),
     ("031-123-4567", "0311234567"), ("070-5235-1234", "07052351234"),
     ("080-123-4567", "0801234567"), ("1588-1234", "15881234"),
     ("1012345678", "01012345678")],  # Excel lost the 0 in a number cell
)
def test_it_accepts_numbers_of_the_korean_numbering_plan_and_stores_domestic_digits(raw, stored):
    assert korean_number(raw) == stored
    assert is_korean_number(stored)


@pytest.mark.parametrize(
    "raw", ["0000000000", "09912345678", "1234-5678", "010-1234", "0101234567890"]
)
def test_it_rejects_numbers_that_no_one_in_korea_has(raw):
    assert not is_korean_number(normalize_phone(raw))
    with pytest.raises(ValueError, match=raw):
        korean_number(raw)


@pytest.mark.parametrize("raw", ["", "   "])
def test_it_says_when_the_number_is_empty(raw):
    with pytest.raises(ValueError):
        korean_number(raw)
