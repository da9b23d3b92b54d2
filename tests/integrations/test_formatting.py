"""How ordered items read for Korean staff and customers (integrations/formatting.py)."""

import pytest

from integrations.formatting import order_item


@pytest.mark.parametrize(("item", "said"), [
    ({"name": "충전 케이블", "quantity": 2}, "충전 케이블 2개"),
    ({"name": "무선 이어폰"}, "무선 이어폰"),
    ("무선 이어폰", "무선 이어폰"),  # a name alone, as older rows hold it
])
def test_an_ordered_item_reads_with_its_quantity_when_it_has_one(item, said):
    assert order_item(item) == said
