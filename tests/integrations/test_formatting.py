"""How times and ordered items read for Korean staff and customers (integrations/formatting.py)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from integrations.formatting import order_item, spoken_time

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(("moment", "said"), [
    (datetime(2026, 11, 26, 15, 10, tzinfo=SEOUL), "오늘 오후 3시 10분"),
    (datetime(2026, 11, 26, 0, 5, tzinfo=SEOUL), "오늘 오전 12시 5분"),
    (datetime(2026, 11, 26, 12, 0, tzinfo=SEOUL), "오늘 오후 12시"),  # no "0분"
    (datetime(2026, 11, 25, 9, 0, tzinfo=SEOUL), "11월 25일 오전 9시"),
    # 23:30 UTC on the 25th is already the 26th, 08:30, in Seoul: today.
    (datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("UTC")), "오늘 오전 8시 30분"),
])
def test_a_time_is_said_in_korean_time_with_today_named(moment, said):
    with time_machine.travel(datetime(2026, 11, 26, 18, 0, tzinfo=SEOUL), tick=False):
        assert spoken_time(moment) == said


@pytest.mark.parametrize(("item", "said"), [
    ({"name": "충전 케이블", "quantity": 2}, "충전 케이블 2개"),
    ({"name": "무선 이어폰"}, "무선 이어폰"),
    ("무선 이어폰", "무선 이어폰"),  # a name alone, as older rows hold it
])
def test_an_ordered_item_reads_with_its_quantity_when_it_has_one(item, said):
    assert order_item(item) == said
