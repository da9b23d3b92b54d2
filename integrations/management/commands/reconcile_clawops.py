"""``python manage.py reconcile_clawops [--since 24h]``: bring in what webhooks missed.

The same run the schedule makes every RECONCILE_EVERY_MINUTES; safe beside it (a second
run at the same time does nothing and says so)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.jobs import kinds, reasons
from integrations.periodic.runs import AlreadyRunning
from integrations.reconciliation.reconcile import reconcile
from integrations.reconciliation.window import parse_duration


class Command(BaseCommand):
    help = ("Compare ClawOps' call and message lists of the last --since with clawsite's and "
            "apply what is missing; list the deliveries ClawOps reports as failed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="24h",
                            help="how far back to look: 90m, 24h, 7d (default 24h)")

    def handle(self, *args: Any, since: str, **options: Any) -> None:
        try:
            window = parse_duration(since)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        missing = kinds.missing_settings("clawops")
        if missing:
            raise CommandError(f"{reasons.integration_off('clawops', missing)}; nothing was read")
        try:
            report = reconcile(window)
        except AlreadyRunning:
            self.stdout.write("another reconciliation is running; this one did nothing")
            return
        self.stdout.write(
            f"calls: {report.calls_checked} checked, {report.calls_recovered} recovered\n"
            f"messages: {report.messages_checked} checked, "
            f"{report.messages_recovered} recovered\n"
            f"failed deliveries reported by ClawOps: {report.failed_deliveries_new} new"
        )
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        if not report.complete:
            self.stdout.write(self.style.WARNING(
                "stopped before the start of the window; run again with a shorter --since"))
