"""How times, amounts and ordered items read for Korean staff and customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

_WEEKDAYS = "월화수목금토일"


def korean_datetime(moment: datetime) -> str:
    """'11월 26일(목) 09:15' in Asia/Seoul (the project's TIME_ZONE)."""
    local = timezone.localtime(moment)
    return f"{local.month}월 {local.day}일({_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def spoken_time(moment: datetime) -> str:
    """'오늘 오후 3시 10분' / '11월 26일 오전 9시': how a time is said, not written."""
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    text = f"{'오전' if local.hour < 12 else '오후'} {hour}시"
    if local.minute:
        text += f" {local.minute}분"
    if local.date() == timezone.localdate():
        return f"오늘 {text}"
    return f"{local.month}월 {local.day}일 {text}"


def won(amount: int) -> str:
    """12000 → '12,000원'."""
    return f"{amount:,}원"


def order_item(item: object, *, clean_name: Callable[[str], str] = str) -> str:
    """One ordered item as stored (``{"name": …, "quantity": n}``, or a name alone) in the
    active language: '충전 케이블 2개', in English 'Charging cable × 2'. The order's page, its
    CSV export and the confirmation call's agent all say an item this way; ``clean_name`` is
    what the name goes through first (the agent's cleaning of a customer's text)."""
    if isinstance(item, dict):
        name, quantity = str(item.get("name", "")), item.get("quantity")
    else:
        name, quantity = str(item), None
    name = clean_name(name)
    if not quantity:
        return name
    return gettext("%(name)s × %(quantity)s") % {"name": name, "quantity": quantity}


def order_items(items: list[object]) -> str:
    """'무선 이어폰, 충전 케이블 2개': every item of an order, in the active language."""
    return ", ".join(order_item(item) for item in items)
