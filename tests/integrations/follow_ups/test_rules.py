"""The jobs a finished call starts are the same whichever way its events were applied:
the PostgreSQL single statement (follow_ups.JOBS_STEP with the Python rules around it) or
the ORM path every database has (follow_ups.plan_for)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from integrations.models import Job
from tests.helpers import post_form

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="compares the PostgreSQL single statement with the ORM path"),
]

IN, OUT = "inbound", "outbound"
SEQUENCES = {
    "answered then completed": (IN, [("in-progress", {}), ("completed", {"CallDuration": "120"})]),
    "completed before answered": (IN, [("completed", {"CallDuration": "120"}),
                                       ("in-progress", {})]),
    "completed without duration, then answered": (IN, [("completed", {}), ("in-progress", {})]),
    "completed after 0 s (missed)": (IN, [("completed", {"CallDuration": "0"})]),
    "no answer (missed)": (IN, [("ringing", {}), ("no-answer", {})]),
    "busy (missed)": (IN, [("busy", {})]),
    "only answered": (IN, [("in-progress", {})]),
    "outbound answered and completed": (OUT, [("in-progress", {}),
                                              ("completed", {"CallDuration": "60"})]),
    "outbound not answered": (OUT, [("no-answer", {})]),
    "outbound completed after 0 s": (OUT, [("completed", {"CallDuration": "0"})]),
    "repeated completion": (IN, [("completed", {"CallDuration": "30"}),
                                 ("completed", {"CallDuration": "30"})]),
}


def send(client, call_id: str, caller: str, direction: str, events) -> None:
    for status, extra in events:
        post_form(client, {"CallId": call_id, "CallStatus": status, "Direction": direction,
                           "From": caller, "To": "07052351234", **extra})


def jobs_of(call_id: str) -> list[tuple]:
    return sorted(Job.objects.filter(call__call_id=call_id).values_list(
        "kind", "state", "next_attempt_at"))


@pytest.mark.parametrize("name", SEQUENCES)
def test_both_paths_start_the_same_jobs(client, monkeypatch, name):
    direction, events = SEQUENCES[name]
    with time_machine.travel(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), tick=False):
        send(client, "CAsingle", "01055551234", direction, events)
        monkeypatch.setattr("calls.intake.single_statement_available", lambda: False)
        # Another caller, so a missed call is not counted on the first one's alert.
        send(client, "CAorm", "01066661234", direction, events)

    assert jobs_of("CAsingle") == jobs_of("CAorm")


ORDER_SEQUENCES = {
    "answered and completed": [("in-progress", {}), ("completed", {"CallDuration": "60"})],
    "not reached": [("ringing", {}), ("no-answer", {})],
    "answer after the end": [("completed", {"CallDuration": "0"}),
                             ("in-progress", {"CallDuration": "45"})],
}


@pytest.mark.parametrize("name", ORDER_SEQUENCES)
def test_both_paths_settle_an_orders_call_the_same_way(client, monkeypatch, name):
    from calls.store import record_placed_call
    from integrations.models import Order

    order = Order.objects.create(order_id="A-1", customer_name="김민지",
                                 customer_phone="01055551234", items=[], total_price=0,
                                 raw_body=b"{}")
    for call_id in ("CAsingle", "CAorm"):
        order.calls.add(record_placed_call(call_id, "07052351234", "01055551234"))
    events = ORDER_SEQUENCES[name]
    with time_machine.travel(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), tick=False):
        send(client, "CAsingle", "01055551234", OUT, events)
        monkeypatch.setattr("calls.intake.single_statement_available", lambda: False)
        send(client, "CAorm", "01055551234", OUT, events)

    assert jobs_of("CAsingle") == jobs_of("CAorm")
    assert Job.objects.filter(kind="order.settle", call__call_id="CAsingle").exists()
