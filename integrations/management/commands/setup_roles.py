"""``python manage.py setup_roles``: the staff groups and what each may do in admin.

- 프런트 데스크: reads the call log, messages, deliveries, clinics, orders and jobs; keeps
  appointments; records an opt-out a patient asked for; calls customers back. Cannot retry
  jobs, replay deliveries or change settings-like data (clinics).
- 관리자: everything in clawsite's apps and the task queue, including "retry now" on jobs
  and replaying deliveries; not user accounts (that stays with superusers).

A command rather than a data migration: permissions are created after migrations run
(post_migrate), so a migration on a fresh database would not find them. It sets each
group's permissions to exactly this list, so running it again (at every deploy) also
removes what was taken off the list.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

FRONT_DESK = "프런트 데스크"
MANAGER = "관리자"

FRONT_DESK_PERMISSIONS = (
    "calls.view_call",
    "calls.view_callevent",
    "calls.view_message",
    "calls.view_messageevent",
    "calls.view_transcript",
    "calls.view_summary",
    "calls.view_webhookdelivery",
    "integrations.view_clinic",
    "integrations.view_appointment",
    "integrations.add_appointment",
    "integrations.change_appointment",
    "integrations.view_appointmentreply",
    "integrations.view_optout",
    "integrations.add_optout",
    "integrations.view_order",
    "integrations.view_job",
    "integrations.view_callbackrequest",
    "integrations.place_callback",
)
# Every permission of these apps: replay is calls.change_webhookdelivery, "retry now" is
# integrations.retry_job, the task queue's schedules and failures are django_q's.
MANAGER_APPS = ("calls", "integrations", "django_q")


def front_desk_permissions() -> list[Permission]:
    found = []
    for name in FRONT_DESK_PERMISSIONS:
        app_label, codename = name.split(".")
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            raise CommandError(f"permission {name} does not exist; run migrate first")
        found.append(permission)
    return found


def manager_permissions() -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label__in=MANAGER_APPS))


class Command(BaseCommand):
    help = "Create or update the staff groups 프런트 데스크 and 관리자 (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for name, permissions in ((FRONT_DESK, front_desk_permissions()),
                                      (MANAGER, manager_permissions())):
                group, created = Group.objects.get_or_create(name=name)
                group.permissions.set(permissions)
                verb = "created" if created else "updated"
                self.stdout.write(f"{name}: {verb}, {len(permissions)} permissions")
