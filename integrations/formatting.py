"""How times and amounts read for Korean staff and customers."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

_WEEKDAYS = "월화수목금토일"


def korean_datetime(moment: datetime) -> str:
    """'11월 26일(목) 09:15' in Asia/Seoul (the project's TIME_ZONE)."""
    local = timezone.localtime(moment)
    return f"{local.month}월 {local.day}일({_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def won(amount: int) -> str:
    """12000 → '12,000원'."""
    return f"{amount:,}원"
