"""Order-proof and idempotent under races (product.md §5 rules 3 and 4), on the real database.

The parallel tests need PostgreSQL: they prove that the unique constraints and upserts,
not a read-then-write, keep one event per key when copies arrive at the same moment.
"""

import itertools
import threading

import pytest
from django.db import connection

from calls.models import Call, CallEvent, Message, MessageEvent, WebhookDelivery
from integrations.models import Job
from tests.helpers import fixture, post_form, post_in_parallel, post_json

STAGES = ("status_initiated", "status_ringing", "status_answered", "status_completed")
STATE_FIELDS = (
    "direction", "from_number", "to_number", "status", "duration", "answered_by",
    "hangup_cause", "hangup_source", "sip_response_code", "recording_url", "started_at",
    "initiated_at", "ringing_at", "answered_at", "ended_at",
)


def call_state(call_id: str) -> dict:
    return Call.objects.values(*STATE_FIELDS).get(call_id=call_id)


@pytest.mark.django_db
def test_it_settles_every_order_of_the_four_stages_on_the_same_state(client):
    orders = list(itertools.permutations(STAGES))
    assert len(orders) == 24
    for number, order in enumerate(orders):
        call_id = f"CAorder{number:02d}"
        # Each order also repeats a stage, once right away and once at the end.
        sequence = [order[0], order[0], *order[1:], order[number % 4]]
        for name in sequence:
            assert post_form(client, dict(fixture(name), CallId=call_id)).status_code == 200

    states = [call_state(f"CAorder{n:02d}") for n in range(24)]
    assert all(state == states[0] for state in states)
    final = states[0]
    assert final["status"] == "completed"
    assert final["duration"] == 120
    assert final["initiated_at"] < final["ringing_at"] < final["answered_at"] < final["ended_at"]
    assert final["started_at"] == final["initiated_at"]
    assert CallEvent.objects.count() == 24 * 4


@pytest.mark.django_db
def test_it_never_moves_a_final_status_back(client):
    post_form(client, fixture("status_no_answer"))
    for status in ("ringing", "in-progress", "initiated"):
        post_form(client, dict(fixture("status_no_answer"), CallStatus=status))
    call = Call.objects.get()
    assert call.status == "no-answer"
    assert call.ringing_at is not None and call.answered_at is not None
    assert call.events.count() == 4


@pytest.mark.django_db
def test_it_gives_each_stage_a_timestamp_when_payloads_carry_none(client):
    for name in reversed(STAGES):
        params = {k: v for k, v in fixture(name).items() if k != "Timestamp"}
        post_form(client, params)
    call = Call.objects.get()
    assert None not in (call.initiated_at, call.ringing_at, call.answered_at, call.ended_at)
    assert call.status == "completed"


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_event_for_20_identical_deliveries_in_parallel():
    params = fixture("status_completed")
    statuses = post_in_parallel(20, lambda client: post_form(client, params))

    assert statuses == [200] * 20
    assert Call.objects.count() == 1
    assert CallEvent.objects.count() == 1
    outcomes = list(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert sorted(outcomes) == ["duplicate"] * 19 + ["processed"]
    assert Call.objects.get().status == "completed"
    # …and started its work once: one transcript fetch, one CRM record.
    assert sorted(Job.objects.values_list("kind", flat=True)) == [
        "clawops.artifacts", "crm.activity"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_event_when_both_schemes_race():
    form = {"CallId": "CA9f2c1e", "CallStatus": "completed", "Direction": "inbound",
            "From": "01055551234", "To": "07052351234", "CallDuration": "0"}
    senders = itertools.cycle([lambda c: post_form(c, form),
                               lambda c: post_json(c, fixture("json_call_completed"))])
    lock = threading.Lock()

    def send(client):
        with lock:
            chosen = next(senders)
        return chosen(client)

    assert post_in_parallel(20, send) == [200] * 20
    assert CallEvent.objects.count() == 1
    assert set(WebhookDelivery.objects.values_list("scheme", flat=True)) == {
        "x-signature", "clawops-signature"}
    # A missed inbound call: one Slack alert, whichever copy won.
    assert list(Job.objects.values_list("kind", flat=True)) == ["slack.missed_call"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_creates_one_call_when_all_stages_of_a_new_call_race():
    names = itertools.cycle(STAGES)
    lock = threading.Lock()

    def send(client):
        with lock:
            name = next(names)
        return post_form(client, fixture(name))

    assert post_in_parallel(20, send) == [200] * 20
    assert Call.objects.count() == 1
    assert CallEvent.objects.count() == 4
    assert Call.objects.get().status == "completed"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_message_event_and_one_transfer_event_in_parallel():
    message, transfer = fixture("message_received"), fixture("transfer_completed")
    flip = itertools.cycle([message, transfer])
    lock = threading.Lock()

    def send(client):
        with lock:
            params = next(flip)
        return post_form(client, params)

    assert post_in_parallel(20, send) == [200] * 20
    assert Message.objects.count() == 1
    assert MessageEvent.objects.count() == 1
    assert CallEvent.objects.filter(kind="transfer").count() == 1
    assert WebhookDelivery.objects.filter(outcome="duplicate").count() == 18


@pytest.mark.django_db
def test_how_a_call_ended_comes_from_its_final_status_in_either_order(client):
    answered = dict(fixture("status_answered"), AnsweredBy="human")
    completed = dict(fixture("status_completed"), AnsweredBy="machine_end_beep")
    for call_id, order in (("CAab", (answered, completed)), ("CAba", (completed, answered))):
        for params in order:
            post_form(client, dict(params, CallId=call_id))
    assert call_state("CAab") == call_state("CAba")
    assert call_state("CAab")["answered_by"] == "machine_end_beep"
