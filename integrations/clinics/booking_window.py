"""When an appointment may start: after now, and at most LATEST_BOOKING ahead.

One rule for every door an appointment comes in by — the admin's form, the spreadsheet
import and the API — each saying why in the reader's language (the spreadsheet import in its
own sentences, which quote the cell).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Clinics book weeks ahead, not years: a later time is a typo (2062 for 2026, 9999 for an
# unknown date), and refusing it keeps every date far from the calendar's end, where
# converting to Korean time or subtracting a reminder's lead would overflow.
LATEST_BOOKING = timedelta(days=2 * 366)

# Why a time is refused: the keys below, also the API's error codes.
PASSED = "past"
TOO_FAR = "too_far"
MESSAGES: dict[str, Promise] = {
    PASSED: _("This time has already passed."),
    TOO_FAR: _("More than two years ahead; check the date."),
}


def why_not_bookable(starts_at: datetime, now: datetime) -> str:
    """PASSED or TOO_FAR when an appointment may not start at ``starts_at``; "" when it may."""
    if starts_at <= now:
        return PASSED
    if starts_at > now + LATEST_BOOKING:
        return TOO_FAR
    return ""
