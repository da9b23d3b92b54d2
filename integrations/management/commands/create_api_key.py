"""``python manage.py create_api_key "<clinic name>" [--name "<what uses it>"]``: a new API
key for the clinic, printed once on the last line (only its hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from integrations.api import keys
from integrations.models import Clinic


class Command(BaseCommand):
    help = ("Create an API key for a clinic (by name or id) and print it once, on the last "
            "line; only its hash is stored.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("clinic", help="the clinic's name as in admin, or its id")
        parser.add_argument("--name", default="", help="what will use the key (shown in "
                            "admin), e.g. the booking system's name")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = find_clinic(options["clinic"])
        name = options["name"].strip() or f"{clinic.name} API"
        row, key = keys.create_key(clinic, name[:100])
        self.stdout.write(_('Created API key #%(id)d "%(name)s" for %(clinic)s. Keep it now: '
                            "it is not shown again.")
                          % {"id": row.pk, "name": row.name, "clinic": clinic.name})
        self.stdout.write(key)


def find_clinic(value: str) -> Clinic:
    value = value.strip()
    named = list(Clinic.objects.filter(name=value))
    if value.isdigit() and not named:
        named = list(Clinic.objects.filter(pk=int(value)))
    if len(named) == 1:
        return named[0]
    if named:
        raise CommandError(_("%(count)d clinics are named %(name)s; give the clinic's id.")
                           % {"count": len(named), "name": value})
    clinics = ", ".join(Clinic.objects.order_by("pk").values_list("name", flat=True))
    raise CommandError(_("No clinic named %(name)s. Clinics: %(clinics)s")
                       % {"name": value, "clinics": clinics or "—"})
