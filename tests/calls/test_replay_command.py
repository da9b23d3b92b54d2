"""``python manage.py replay``: stored deliveries applied again, by id or all failed ones."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from calls import vocabulary
from calls.models import Call, WebhookDelivery
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db


def failed_delivery(client, call_id: str = "CA7e1f2a") -> WebhookDelivery:
    """A signed status callback whose status today's code does not know: stored failed."""
    payload = dict(fixture("status_completed"), CallStatus="exploded", CallId=call_id)
    delivery_id = post_form(client, payload).json()["delivery"]
    return WebhookDelivery.objects.get(pk=delivery_id, outcome="failed")


def apply_fix(monkeypatch) -> None:
    """The fix the failed deliveries were waiting for: the status becomes known."""
    monkeypatch.setitem(vocabulary.CALL_STAGE_ALIASES, "exploded", "completed")


def replay(*args: str) -> str:
    out = StringIO()
    call_command("replay", *args, stdout=out)
    return out.getvalue()


def test_it_replays_deliveries_by_id_and_prints_old_and_new_outcome(client, monkeypatch):
    delivery = failed_delivery(client)
    apply_fix(monkeypatch)

    output = replay(str(delivery.pk))

    assert f"#{delivery.pk} call_status: failed -> processed" in output
    delivery.refresh_from_db()
    assert delivery.outcome == "processed"
    assert Call.objects.get(call_id="CA7e1f2a").status == "completed"


def test_it_replays_every_failed_delivery(client, monkeypatch):
    first, second = failed_delivery(client, "CAone"), failed_delivery(client, "CAtwo")
    post_form(client, fixture("status_ringing"))
    applied = WebhookDelivery.objects.get(outcome="processed")
    apply_fix(monkeypatch)

    output = replay("--failed")

    assert f"#{first.pk} call_status: failed -> processed" in output
    assert f"#{second.pk} call_status: failed -> processed" in output
    assert f"#{applied.pk} " not in output
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {"processed"}
    assert set(Call.objects.values_list("call_id", flat=True)) == {"CAone", "CAtwo", "CA7e1f2a"}


def test_it_says_when_a_replay_still_fails(client):
    delivery = failed_delivery(client)

    output = replay(str(delivery.pk))

    assert f"#{delivery.pk} unknown: failed -> failed" in output
    delivery.refresh_from_db()
    assert delivery.replayed_at is not None


def test_it_refuses_unknown_ids_and_replays_nothing(client, monkeypatch):
    delivery = failed_delivery(client)
    apply_fix(monkeypatch)

    with pytest.raises(CommandError, match=r"unknown delivery id\(s\): 998, 999") as error:
        replay(str(delivery.pk), "999", "998")

    assert error.value.returncode == 1  # the exit status of manage.py
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.replayed_at) == ("failed", None)


@pytest.mark.parametrize("args", [(), ("1", "--failed")])
def test_it_wants_either_ids_or_failed(args):
    with pytest.raises(CommandError, match="ids or --failed"):
        replay(*args)


def test_it_changes_nothing_on_a_dry_run(client, monkeypatch, django_capture_on_commit_callbacks):
    delivery = failed_delivery(client)
    apply_fix(monkeypatch)
    before = list(WebhookDelivery.objects.values())

    with django_capture_on_commit_callbacks() as queued:
        output = replay("--failed", "--dry-run")

    assert queued == []  # no work is started for what was rolled back

    assert f"#{delivery.pk} call_status: failed -> processed" in output
    assert "dry run, nothing kept" in output
    assert list(WebhookDelivery.objects.values()) == before
    assert not Call.objects.exists()


def test_it_says_when_there_is_nothing_to_replay(client):
    assert "no deliveries to replay" in replay("--failed")
