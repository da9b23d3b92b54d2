"""``python manage.py purge_personal_data [--dry-run]``: the retention purge, now.

The schedule runs it daily; running it again changes nothing more."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.retention.purge import purge


class Command(BaseCommand):
    help = ("Clear raw webhook bodies older than DELIVERY_RETENTION_DAYS and remove or mask "
            "personal data older than PERSONAL_DATA_RETENTION_DAYS.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="show what would change, and change nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        report = purge(dry_run=dry_run)
        self.stdout.write(
            f"retention: delivery bodies {settings.DELIVERY_RETENTION_DAYS} days, "
            f"personal data {settings.PERSONAL_DATA_RETENTION_DAYS} days"
            + (" (dry run: nothing was changed)" if dry_run else ""))
        for name, count in report.items():
            self.stdout.write(f"{name}: {count}")
