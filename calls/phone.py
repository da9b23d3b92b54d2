"""Korean phone numbers in one canonical form, and the one rule for which numbers are real.

ClawOps stores and sends domestic digits (``01012345678``) and accepts ``+82`` and the usual
separators (contract §8). Everything in clawsite compares numbers in that domestic form;
the value as received is kept beside it. Whether a number can exist is Google's numbering
plan (``phonenumbers``), not a digit count: ``0000000000`` and ``099…`` have the right
length and are no one's number.
"""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext as _

_SEPARATORS = re.compile(r"[\s\-().]")
_NOT_DIGITS = re.compile(r"\D")
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
    """Whether a normalised number is a Korean number ClawOps can call or text: a valid
    number of the Korean numbering plan (mobile 010…, landline 02…/031…, 070…, 080…, or
    a representative number such as 1588-1234)."""
    if not number.isdigit():
        return False
    try:
        parsed = phonenumbers.parse(number, "KR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number_for_region(parsed, "KR")


def korean_number(raw: str) -> str:
    """The domestic form of a Korean phone number, or ValueError saying what is wrong (in
    words for staff and shops). Every form, the CSV import and the order webhook use it."""
    value = raw.strip()
    if not value:
        raise ValueError(_("The phone number is empty."))
    number = normalize_phone(value)
    if not number.isdigit():
        raise ValueError(
            _("'%(value)s' is not a Korean phone number (e.g. 010-1234-5678).") % {"value": value}
        )
    if not is_korean_number(number):
        raise ValueError(
            _("'%(value)s' is not a phone number that exists in Korea (e.g. 010-1234-5678).")
            % {"value": value}
        )
    # The numbering plan also accepts a number whose leading 0 was lost (Excel drops it from
    # a number cell: 1012345678); stored, it must be the domestic form like every other.
    national = phonenumbers.format_number(phonenumbers.parse(number, "KR"),
                                          phonenumbers.PhoneNumberFormat.NATIONAL)
    return _NOT_DIGITS.sub("", national)


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
