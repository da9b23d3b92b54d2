"""``python manage.py forget_number 010-1234-5678 [--dry-run]``: erase one person on request."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.retention.forget import NotANumber, forget


class Command(BaseCommand):
    help = ("Erase every trace of one phone number: mask it in calls, messages, appointments, "
            "orders and jobs, delete transcripts and summaries of its calls, clear raw bodies "
            "that quote it. Idempotent.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="the number, in any usual form (010-1234-5678)")
        parser.add_argument("--dry-run", action="store_true",
                            help="show what would change, and change nothing")

    def handle(self, *args: Any, number: str, dry_run: bool, **options: Any) -> None:
        try:
            report = forget(number, dry_run=dry_run)
        except NotANumber as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            self.stdout.write("dry run: nothing was changed")
        for name, count in report.items():
            self.stdout.write(f"{name}: {count}")
        if not any(report.values()):
            self.stdout.write("nothing of this number was left")
