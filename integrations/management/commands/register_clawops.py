"""``python manage.py register_clawops [--dry-run] [--number 070…]``: point ClawOps at
this deployment.

- The number (CLAWOPS_FROM_NUMBER or ``--number``) gets our status callback for inbound
  calls, with every stage and transfer progress (contract §2.1; calls we place carry their
  own callback).
- The account gets one webhook registration for the message, transcript, summary and
  recording events (contract §5), pointing at the same endpoint.

It reads what exists first and writes only what differs, so running it again (every deploy)
changes nothing; ``--dry-run`` prints the plan and writes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from clawops.types import PhoneNumber
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.phone import normalize_phone
from integrations.outbound import clawops, registration
from integrations.outbound.http import OutboundError

NUMBER_EVENTS = "initiated ringing answered completed transfer"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def webhook_url() -> str:
    return f"{settings.CLAWOPS_PUBLIC_BASE_URL}/webhooks/clawops/"


def number_changes(number: PhoneNumber, url: str) -> dict[str, str]:
    """The numbers.update fields whose value differs from what we want."""
    changes: dict[str, str] = {}
    if (number.status_callback or "") != url:
        changes["status_callback"] = url
    # A space-separated set of tokens: the same tokens in another order are the same.
    if set((number.status_callback_events or "").split()) != set(NUMBER_EVENTS.split()):
        changes["status_callback_events"] = NUMBER_EVENTS
    return changes


class Command(BaseCommand):
    help = "Register this deployment's webhook URLs with ClawOps (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--number", default="",
                            help="the ClawOps number to configure (default: CLAWOPS_FROM_NUMBER)")
        parser.add_argument("--dry-run", action="store_true",
                            help="print the planned changes and change nothing")

    def handle(self, *args: Any, number: str, dry_run: bool, **options: Any) -> None:
        wanted = normalize_phone(number or settings.CLAWOPS_FROM_NUMBER)
        self._check_settings(wanted)
        url = webhook_url()
        try:
            ours = self._find_number(wanted)
            registrations = registration.list_registrations()
        except OutboundError as exc:
            raise CommandError(f"could not read the ClawOps configuration: {exc}") from None

        number_update = number_changes(ours, url)
        webhook_change = registration.plan(url, registrations)
        planned = [f"number {ours.number}: {field} {getattr(ours, field)!r} -> {value!r}"
                   for field, value in number_update.items()]
        if webhook_change is not None:
            planned.append(webhook_change.describe())

        if not planned:
            self.stdout.write(self.style.SUCCESS(
                f"up to date: number {ours.number} and the account webhooks point at {url}"))
            return
        for line in planned:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(f"dry run, nothing changed: {len(planned)} change(s) planned")
            return
        try:
            if number_update:
                clawops.update_number(ours.number, **number_update)
            if webhook_change is not None:
                registration.apply(webhook_change)
        except OutboundError as exc:
            raise CommandError(f"ClawOps refused a change: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"changed: {len(planned)} change(s) applied"))

    def _check_settings(self, number: str) -> None:
        missing = [name for name in ("CLAWOPS_API_KEY", "CLAWOPS_ACCOUNT_ID")
                   if not getattr(settings, name)]
        if missing:
            raise CommandError(" and ".join(missing) + " must be set to reach the ClawOps API")
        if not number:
            raise CommandError("no number to configure: set CLAWOPS_FROM_NUMBER or pass --number")
        base = urlsplit(settings.CLAWOPS_PUBLIC_BASE_URL)
        # ClawOps refuses internal addresses as callbacks (contract §2.1), and signatures
        # cover the exact URL, so it must be the public one.
        if base.scheme != "https" or (base.hostname or "") in LOCAL_HOSTS:
            raise CommandError(
                "CLAWOPS_PUBLIC_BASE_URL must be the public https:// URL ClawOps calls, not "
                f"{settings.CLAWOPS_PUBLIC_BASE_URL!r}")

    def _find_number(self, wanted: str) -> PhoneNumber:
        for candidate in clawops.list_numbers():
            if normalize_phone(candidate.number) == wanted:
                return candidate
        raise CommandError(f"number {wanted} is not in ClawOps account "
                           f"{settings.CLAWOPS_ACCOUNT_ID}")
