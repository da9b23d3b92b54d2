"""`manage.py sync_schedules`: the periodic jobs, created idempotently (never at import)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_q.models import Schedule

pytestmark = pytest.mark.django_db

SWEEPER = "clawsite: sweep job ledger"
RECONCILE = "clawsite: reconcile with ClawOps"
PURGE = "clawsite: purge personal data"


def sync() -> str:
    out = StringIO()
    call_command("sync_schedules", stdout=out)
    return out.getvalue()


def test_nothing_is_scheduled_until_the_command_runs():
    assert not Schedule.objects.exists()


def test_it_creates_each_schedule_once_and_then_changes_nothing():
    assert sync() == f"created: {SWEEPER}\ncreated: {RECONCILE}\ncreated: {PURGE}\n"
    assert sync() == f"unchanged: {SWEEPER}\nunchanged: {RECONCILE}\nunchanged: {PURGE}\n"
    rows = {s.name: (s.func, s.schedule_type, s.minutes, s.repeats)
            for s in Schedule.objects.all()}
    assert rows == {
        SWEEPER: ("integrations.tasks.sweep", Schedule.MINUTES, 1, -1),
        RECONCILE: ("integrations.tasks.reconcile", Schedule.MINUTES, 10, -1),
        PURGE: ("integrations.tasks.purge", Schedule.MINUTES, 24 * 60, -1),
    }


def test_it_follows_the_reconciliation_interval_setting():
    sync()
    with override_settings(RECONCILE_EVERY_MINUTES=5):
        assert f"updated: {RECONCILE}" in sync()
    assert Schedule.objects.get(name=RECONCILE).minutes == 5


def test_it_repairs_a_changed_schedule_and_removes_its_own_stale_ones():
    sync()
    Schedule.objects.filter(name=SWEEPER).update(minutes=30)
    Schedule.objects.create(name="clawsite: old poll", func="x.y", schedule_type="I")
    Schedule.objects.create(name="operator's own", func="x.z", schedule_type="D")

    report = sync()

    assert f"updated: {SWEEPER}" in report
    assert "deleted: clawsite: old poll" in report
    assert Schedule.objects.get(name=SWEEPER).minutes == 1
    assert Schedule.objects.filter(name="operator's own").exists()
