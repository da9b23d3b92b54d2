"""``python manage.py replay``: read and apply stored webhook deliveries again.

For the operator after a fix: ``replay 12 13`` or ``replay --failed``; ``--dry-run`` shows
what a replay would give without keeping anything. The same work as the admin action.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from calls import intake
from calls.models import Outcome, WebhookDelivery


class Command(BaseCommand):
    help = "Replay stored ClawOps webhook deliveries (by id, or every failed one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="id", help="delivery ids")
        parser.add_argument(
            "--failed", action="store_true", help="replay every delivery whose outcome is failed"
        )
        parser.add_argument(
            "--dry-run", action="store_true",
            help="show the outcome each replay would have, and keep nothing",
        )

    def handle(
        self, *args: Any, ids: list[int], failed: bool, dry_run: bool, **options: Any
    ) -> None:
        if bool(ids) == failed:
            raise CommandError("give delivery ids or --failed (exactly one of the two)")
        if failed:
            deliveries = WebhookDelivery.objects.filter(outcome=Outcome.FAILED)
        else:
            deliveries = WebhookDelivery.objects.filter(pk__in=ids)
            missing = sorted(set(ids) - set(deliveries.values_list("pk", flat=True)))
            if missing:
                # Checked before anything runs, so a typo replays nothing.
                raise CommandError(
                    "unknown delivery id(s): " + ", ".join(str(pk) for pk in missing)
                )

        outcomes: Counter[str] = Counter()
        for delivery in deliveries.order_by("received_at", "id"):
            old = delivery.outcome
            new = _replay(delivery, dry_run=dry_run)
            outcomes[new] += 1
            self.stdout.write(f"#{delivery.pk} {delivery.kind}: {old} -> {new}")

        if not outcomes:
            self.stdout.write("no deliveries to replay")
            return
        counts = ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))
        prefix = "dry run, nothing kept: " if dry_run else "replayed: "
        style = self.style.WARNING if outcomes[Outcome.FAILED] else self.style.SUCCESS
        self.stdout.write(style(prefix + counts))


def _replay(delivery: WebhookDelivery, *, dry_run: bool) -> str:
    if not dry_run:
        outcome = intake.replay(delivery)
        intake.record_audit(None, "replay", delivery, detail="manage.py replay")
        return outcome
    # A real replay inside a transaction that is then rolled back: the outcome shown is the
    # one a replay would give, and no row (nor any on_commit work) survives it.
    with transaction.atomic():
        outcome = intake.replay(delivery)
        transaction.set_rollback(True)
    return outcome
