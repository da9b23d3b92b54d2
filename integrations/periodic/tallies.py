"""The deliveries counter of ``/metrics``, kept cheap however large the table grows.

A scrape reads the tally (one row per outcome, all counted up to the same delivery id) and
counts only the deliveries after that id, through the primary key. The sweeper moves the
tally forward each minute, up to the newest delivery received more than SETTLE ago: ids
are handed out before a transaction commits, so a row with a smaller id than one already
visible may still be on its way; none of the intake's transactions lasts that long.

Counted by the outcome a delivery was accepted with: a later replay does not move it from
one outcome to another, so each count only ever goes up, as a Prometheus counter must.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from calls.models import Outcome, WebhookDelivery
from integrations.periodic.models import DeliveryTally

SETTLE = timedelta(minutes=2)


def _counts_after(up_to_id: int, through_id: int | None = None) -> dict[str, int]:
    rows = WebhookDelivery.objects.filter(pk__gt=up_to_id)
    if through_id is not None:
        rows = rows.filter(pk__lte=through_id)
    return dict(rows.order_by().values_list("outcome").annotate(n=Count("id"))
                .values_list("outcome", "n"))


def advance() -> int:
    """Move the tally forward; return how many deliveries it added."""
    settled = (WebhookDelivery.objects.filter(received_at__lt=timezone.now() - SETTLE)
               .order_by("-received_at", "-pk").values_list("pk", flat=True).first())
    if settled is None:
        return 0
    with transaction.atomic():
        for outcome in Outcome.values:
            DeliveryTally.objects.get_or_create(outcome=outcome)
        # Row locks: two sweepers at once add each delivery once.
        tally = {row.outcome: row for row in DeliveryTally.objects.select_for_update()}
        up_to = min(row.up_to_id for row in tally.values())
        if settled <= up_to:
            return 0
        added = _counts_after(up_to, settled)
        for outcome, row in tally.items():
            DeliveryTally.objects.filter(pk=row.pk).update(
                up_to_id=settled, count=row.count + added.get(outcome, 0))
    return sum(added.values())


def delivery_totals() -> dict[str, int]:
    """Deliveries accepted so far, by outcome."""
    tally = list(DeliveryTally.objects.all())
    up_to = min((row.up_to_id for row in tally), default=0)
    totals = {outcome: 0 for outcome in Outcome.values}
    for row in tally:
        totals[row.outcome] = totals.get(row.outcome, 0) + row.count
    for outcome, n in _counts_after(up_to).items():
        totals[outcome] = totals.get(outcome, 0) + n
    return totals
