"""`manage.py sync_schedules`: the periodic jobs, created idempotently (never at import)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_q.models import Schedule

pytestmark = pytest.mark.django_db


def sync() -> str:
    out = StringIO()
    call_command("sync_schedules", stdout=out)
    return out.getvalue()


def test_nothing_is_scheduled_until_the_command_runs():
    assert not Schedule.objects.exists()


def test_it_creates_the_sweeper_once_and_then_changes_nothing():
    assert sync() == "created: clawsite: sweep job ledger\n"
    assert sync() == "unchanged: clawsite: sweep job ledger\n"
    sweeper = Schedule.objects.get()
    assert (sweeper.func, sweeper.schedule_type, sweeper.minutes, sweeper.repeats) == (
        "integrations.tasks.sweep", Schedule.MINUTES, 1, -1)


def test_it_repairs_a_changed_schedule_and_removes_its_own_stale_ones():
    sync()
    Schedule.objects.update(minutes=30)
    Schedule.objects.create(name="clawsite: old poll", func="x.y", schedule_type="I")
    Schedule.objects.create(name="operator's own", func="x.z", schedule_type="D")

    report = sync()

    assert "updated: clawsite: sweep job ledger" in report
    assert "deleted: clawsite: old poll" in report
    assert Schedule.objects.get(name="clawsite: sweep job ledger").minutes == 1
    assert Schedule.objects.filter(name="operator's own").exists()
