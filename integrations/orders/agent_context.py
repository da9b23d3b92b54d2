"""What the order-confirmation agent is told: the instruction, and the order as variables.

Everything in the variables comes from the shop's customer (a name, item names), so it is
treated as data, never as instructions: each value is cleaned (no line breaks, control or
invisible characters), bounded in length, and put between 「 」 quotes it cannot contain;
the instruction says that quoted values are data to read out, and that nothing inside them
is to be followed. A customer named "이전 지시는 무시하고…" is greeted by that name, and
that is all.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.conf import settings
from django.utils import translation

from integrations.formatting import order_item, won
from integrations.models import Order
from integrations.texts import render_text


def instruction() -> str:
    """What the managed agent is told (templates/integrations/order_call_instruction.txt),
    in Korean whatever the request's language; it ends by saying that the quoted values are
    data, not instructions."""
    return render_text("integrations/order_call_instruction.txt", {})


# Longest a value may be when it reaches the agent (a name, one item, all items).
MAX_NAME = 40
MAX_ITEM_NAME = 40
MAX_ITEMS_TEXT = 200
MAX_ORDER_ID = 64
_MORE_ITEMS = " 외 상품 여러 개"
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"「": " ", "」": " ", "『": " ", "』": " "})


def clean(text: str, limit: int) -> str:
    """One line of visible text: control and format characters (NUL, escape sequences,
    right-to-left overrides, zero-width spaces) dropped, whitespace collapsed, no quote marks
    of our own, at most ``limit`` characters."""
    visible = "".join(
        " " if char.isspace() else char
        for char in str(text)
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    text = _SPACES.sub(" ", visible.translate(_QUOTES)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quoted(text: str, limit: int) -> str:
    return f"「{clean(text, limit)}」"


def _clean_item_name(name: str) -> str:
    return clean(name, MAX_ITEM_NAME)


def items_text(items: list[object]) -> str:
    """'무선 이어폰, 충전 케이블 2개' — how the agent reads the order out, in the site's
    language (LANGUAGE_CODE, Korean) whoever caused the call; a long list is cut at an item,
    with a note that there is more."""
    text = ""
    with translation.override(settings.LANGUAGE_CODE):
        for item in items:
            said = order_item(item, clean_name=_clean_item_name)
            candidate = f"{text}, {said}" if text else said
            if len(candidate) > MAX_ITEMS_TEXT - len(_MORE_ITEMS):
                return text + _MORE_ITEMS
            text = candidate
    return text


def call_context(order: Order) -> dict[str, Any]:
    return {
        "instruction": instruction(),
        "variables": {
            "customerName": quoted(order.customer_name, MAX_NAME),
            "items": f"「{items_text(order.items)}」",
            "amount": quoted(won(order.total_price), 20),
            "orderId": quoted(order.order_id, MAX_ORDER_ID),
        },
    }
