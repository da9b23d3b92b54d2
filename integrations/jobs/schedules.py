"""The periodic jobs clawsite needs, created by `manage.py sync_schedules` (never at import)."""

from __future__ import annotations

from django_q.models import Schedule

# name → (function, minutes between runs). Names start with "clawsite:" so that schedules
# this list no longer has can be told apart from ones an operator added by hand.
SCHEDULES: dict[str, tuple[str, int]] = {
    # Re-sends lost queue messages, takes back jobs of dead workers, runs retries and
    # transcript polls when they fall due.
    "clawsite: sweep job ledger": ("integrations.tasks.sweep", 1),
}
PREFIX = "clawsite:"


def sync() -> dict[str, list[str]]:
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    for name, (func, minutes) in SCHEDULES.items():
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
    stale = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=SCHEDULES)
    report["deleted"] = list(stale.values_list("name", flat=True))
    stale.delete()
    return report
