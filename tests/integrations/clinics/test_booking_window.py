"""When an appointment may start, whichever door it comes in by
(integrations/clinics/booking_window.py)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from integrations.clinics.booking_window import (
    LATEST_BOOKING,
    PASSED,
    TOO_FAR,
    why_not_bookable,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
LATEST = NOW + LATEST_BOOKING


@pytest.mark.parametrize(("starts_at", "problem"), [
    (datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Seoul")), PASSED),
    (NOW, PASSED),
    (NOW + timedelta(seconds=1), ""),
    (LATEST, ""),
    (LATEST + timedelta(seconds=1), TOO_FAR),
    (datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("Asia/Seoul")), TOO_FAR),
])
def test_it_takes_a_time_after_now_and_at_most_two_years_ahead(starts_at, problem):
    assert why_not_bookable(starts_at, NOW) == problem


@pytest.mark.parametrize("now", [NOW, datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))])
def test_the_same_day_two_years_on_is_not_too_far_even_across_a_leap_day(now):
    # The message says "more than two years ahead": it must be true of what it refuses.
    assert why_not_bookable(now.replace(year=now.year + 2), now) == ""
