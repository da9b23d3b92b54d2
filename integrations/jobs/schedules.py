"""The periodic jobs clawsite needs, created by `manage.py sync_schedules` (never at import)."""

from __future__ import annotations

from django.conf import settings
from django_q.models import Schedule


def schedules() -> dict[str, tuple[str, int]]:
    """name → (function, minutes between runs). Names start with "clawsite:" so that
    schedules this list no longer has can be told apart from ones an operator added."""
    return {
        # Re-sends lost queue messages, takes back jobs of dead workers, runs retries and
        # transcript polls when they fall due.
        "clawsite: sweep job ledger": ("integrations.tasks.sweep", 1),
        # Brings in calls and messages whose webhooks never arrived.
        "clawsite: reconcile with ClawOps": (
            "integrations.tasks.reconcile", settings.RECONCILE_EVERY_MINUTES),
        # Removes or masks what is past the retention periods.
        "clawsite: purge personal data": ("integrations.tasks.purge", 24 * 60),
    }


PREFIX = "clawsite:"


def sync() -> dict[str, list[str]]:
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    wanted_schedules = schedules()
    for name, (func, minutes) in wanted_schedules.items():
        wanted = {"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes,
                  "repeats": -1}
        existing = Schedule.objects.filter(name=name).first()
        if existing is None:
            Schedule.objects.create(name=name, **wanted)
            report["created"].append(name)
        elif any(getattr(existing, key) != value for key, value in wanted.items()):
            Schedule.objects.filter(pk=existing.pk).update(**wanted)
            report["updated"].append(name)
        else:
            report["unchanged"].append(name)
    stale = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=wanted_schedules)
    report["deleted"] = list(stale.values_list("name", flat=True))
    stale.delete()
    return report
