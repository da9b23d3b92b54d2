"""S2: the confirmation call through the ledger — what ClawOps is asked, and what the
order becomes when the call ends (answered, or one retry, then not reached)."""

import json
from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from calls.models import Call
from calls.signatures import clawops_signature
from calls.vocabulary import CALL_STATUS_RANK
from integrations.jobs import kinds, ledger, reasons
from integrations.models import Job, JobState, Order, OrderStatus
from integrations.orders import agent_context, confirmation_calls
from tests.clawops_api import API, call_created
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
FROM = "07052351234"


@pytest.fixture(autouse=True)
def order_settings(settings):
    settings.CLAWOPS_FROM_NUMBER = FROM
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_order"
    settings.ORDER_RETRY_DELAY_MINUTES = 30


@pytest.fixture
def order() -> Order:
    order, _ = confirmation_calls.receive(
        order_id="A-1024", customer_name="김민지", customer_phone="01055551234",
        customer_phone_raw="010-5555-1234",
        items=[{"name": "무선 이어폰"}, {"name": "충전 케이블", "quantity": 2}],
        total_price=12000, raw_body=b"{}",
    )
    return order


def job(order: Order, attempt: int) -> Job:
    return Job.objects.get(kind=kinds.ORDER_CONFIRMATION_CALL,
                           subject=confirmation_calls.subject(order.order_id, attempt))


def run(order: Order, attempt: int) -> str:
    """Run the attempt's job now, whenever it was due."""
    Job.objects.filter(pk=job(order, attempt).pk).update(next_attempt_at=timezone.now())
    return ledger.run(job(order, attempt).pk)


def status(client, call_id: str, call_status: str, **fields: str):
    """A signed status callback for a call we placed, as ClawOps sends it; then the
    worker's part: the settlement job the event added, if any."""
    response = post_form(client, {"CallId": call_id, "CallStatus": call_status,
                                  "Direction": "outbound", "From": FROM, "To": "01055551234",
                                  **fields})
    for settle in Job.objects.filter(kind=kinds.ORDER_SETTLE, state=JobState.PENDING,
                                     next_attempt_at__lte=timezone.now()):
        assert ledger.run(settle.pk) == JobState.DONE
    return response


def answer_and_hang_up(client, call_id: str, answered_by: str = "human", duration: str = "95"):
    status(client, call_id, "in-progress")
    status(client, call_id, "completed", CallDuration=duration, AnsweredBy=answered_by)


@pytest.fixture
def placed():
    with respx.mock:
        route = respx.post(f"{API}/calls")
        route.side_effect = [call_created("CAorder1"), call_created("CAorder2")]
        yield route


def test_the_call_is_placed_once_the_order_is_committed(
        client, placed, django_capture_on_commit_callbacks, settings):
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec_test"]
    body = json.dumps({"order_id": "B-1", "customer_phone": "01055551234",
                       "customer_name": "이서준", "items": ["텀블러"], "total_price": 8900})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/webhooks/orders/", data=body, content_type="application/json",
                               headers={"X-Order-Signature": clawops_signature(
                                   body.encode(), "ordsec_test")})

    assert response.status_code == 202
    assert placed.call_count == 1
    assert Order.objects.get(order_id="B-1").status == OrderStatus.CALLING


def test_it_asks_clawops_for_an_agent_call_with_the_order_as_context(order, placed, settings):
    settings.CLAWOPS_MACHINE_DETECTION = True
    assert run(order, 1) == JobState.DONE

    request = placed.calls.last.request
    assert request.headers["Authorization"] == "Bearer sk_test_key"
    assert json.loads(request.content) == {
        "To": "01055551234",
        "From": FROM,
        "AgentId": "agent_order",
        "CallContext": {
            "Instruction": agent_context.instruction(),
            "Variables": {
                # Quoted as data (integrations/orders/agent_context.py).
                "customerName": "「김민지」",
                "items": "「무선 이어폰, 충전 케이블 2개」",
                "amount": "「12,000원」",
                "orderId": "「A-1024」",
            },
        },
        "StatusCallback": "https://clinic.example.com/webhooks/clawops/",
        "StatusCallbackEvent": "initiated ringing answered completed",
        "MachineDetection": "Enable",
    }


def test_it_asks_for_no_machine_detection_unless_the_setting_says_so(order, placed):
    # Without ClawOps' AMD add-on a call asking for it is refused (422): off by default.
    assert run(order, 1) == JobState.DONE

    sent = json.loads(placed.calls.last.request.content)
    assert "MachineDetection" not in sent
    assert sent["StatusCallbackEvent"] == "initiated ringing answered completed"


def test_its_instruction_follows_the_scenario_step_by_step():
    steps = ["인사", "감사", "items", "amount", "배송지 주소", "다시 읽어", "내일 오전에 발송",
             "통화를 마치"]
    positions = [agent_context.instruction().index(step) for step in steps]
    assert positions == sorted(positions)
    # CallContext.Instruction limit (contract §7.3)
    assert len(agent_context.instruction()) <= 4000


def test_it_records_the_placed_call_and_links_it_to_the_order(order, placed):
    run(order, 1)

    call = Call.objects.get(call_id="CAorder1")
    assert call.direction == "outbound"
    assert (call.from_number, call.to_number) == (FROM, "01055551234")
    order.refresh_from_db()
    assert list(order.calls.all()) == [call]
    assert order.status == OrderStatus.CALLING
    done = job(order, 1)
    assert done.result == {"call_id": "CAorder1", "attempt": 1}
    assert done.call == call


def test_an_answered_call_settles_the_order(client, order, placed):
    run(order, 1)
    answer_and_hang_up(client, "CAorder1")

    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED
    assert not Job.objects.filter(subject=confirmation_calls.subject("A-1024", 2)).exists()


@pytest.mark.parametrize("ending", ["no-answer", "busy", "failed", "canceled", "rejected"])
def test_a_call_that_does_not_reach_the_customer_is_tried_once_more_later(
        client, order, placed, ending):
    run(order, 1)
    status(client, "CAorder1", ending)

    order.refresh_from_db()
    assert order.status == OrderStatus.CALLING
    retry = job(order, 2)
    assert retry.state == JobState.PENDING
    assert retry.payload == {"order": order.pk, "attempt": 2}
    wait = retry.next_attempt_at - timezone.now()
    assert timedelta(minutes=29) < wait <= timedelta(minutes=30)


@pytest.mark.parametrize("cause", ["invalid_number", "recipient_blocked"])
def test_a_call_that_ends_on_a_cause_no_retry_can_change_fails_the_order(
        client, order, placed, cause):
    run(order, 1)
    status(client, "CAorder1", "failed", HangupCause=cause)

    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert not Job.objects.filter(kind=kinds.ORDER_CONFIRMATION_CALL,
                                  subject=confirmation_calls.subject("A-1024", 2)).exists()


@pytest.mark.parametrize(("answered_by", "duration"), [("machine", "31"), ("human", "0")])
def test_an_answering_machine_or_a_zero_second_call_does_not_count(
        client, order, placed, answered_by, duration):
    run(order, 1)
    answer_and_hang_up(client, "CAorder1", answered_by=answered_by, duration=duration)

    order.refresh_from_db()
    assert order.status == OrderStatus.CALLING
    assert job(order, 2).state == JobState.PENDING


def test_the_second_try_places_a_second_call_and_then_gives_up(client, order, placed):
    run(order, 1)
    status(client, "CAorder1", "no-answer")
    assert run(order, 2) == JobState.DONE
    status(client, "CAorder2", "completed", CallDuration="12", AnsweredBy="machine")

    order.refresh_from_db()
    assert order.status == OrderStatus.NOT_REACHED
    assert [c.call_id for c in order.calls.order_by("id")] == ["CAorder1", "CAorder2"]
    assert placed.call_count == 2
    assert Job.objects.filter(kind=kinds.ORDER_CONFIRMATION_CALL).count() == 2


def test_the_second_try_can_reach_the_customer(client, order, placed):
    run(order, 1)
    status(client, "CAorder1", "busy")
    run(order, 2)
    answer_and_hang_up(client, "CAorder2")

    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED


def test_the_retry_delay_is_a_setting(client, order, placed, settings):
    settings.ORDER_RETRY_DELAY_MINUTES = 5
    run(order, 1)
    status(client, "CAorder1", "no-answer")

    wait = job(order, 2).next_attempt_at - timezone.now()
    assert timedelta(minutes=4) < wait <= timedelta(minutes=5)


def test_repeated_or_contradicting_endings_add_one_retry_only(client, order, placed):
    run(order, 1)
    status(client, "CAorder1", "no-answer")
    status(client, "CAorder1", "no-answer")
    status(client, "CAorder1", "busy")

    assert Job.objects.filter(kind=kinds.ORDER_CONFIRMATION_CALL).count() == 2


def test_a_late_answer_settles_the_order_and_the_retry_stays_home(client, order, placed):
    run(order, 1)
    # The end arrives first and says nothing about talking; the answer comes later.
    status(client, "CAorder1", "completed", CallDuration="0")
    assert job(order, 2).state == JobState.PENDING
    status(client, "CAorder1", "completed")  # duplicate: changes nothing
    Call.objects.filter(call_id="CAorder1").update(duration=80)
    status(client, "CAorder1", "in-progress")

    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED
    assert run(order, 2) == JobState.SKIPPED
    assert job(order, 2).last_error == reasons.ORDER_REACHED
    assert placed.call_count == 1


def test_an_end_reported_before_the_call_was_linked_still_counts(order, placed):
    # ClawOps' status callback won the race against our own bookkeeping.
    Call.objects.create(call_id="CAorder1", direction="outbound", status="failed",
                        status_rank=CALL_STATUS_RANK["failed"], started_at=timezone.now())

    run(order, 1)
    # The placing job's check, a minute later, finds the call ended and settles it.
    check = Job.objects.get(kind=kinds.ORDER_SETTLE, subject="CAorder1:placed")
    assert check.next_attempt_at > timezone.now()
    Job.objects.filter(pk=check.pk).update(next_attempt_at=timezone.now())
    assert ledger.run(check.pk) == JobState.DONE

    assert job(order, 2).state == JobState.PENDING


def test_the_check_after_placing_leaves_a_call_still_going_alone(order, placed):
    run(order, 1)
    check = Job.objects.get(kind=kinds.ORDER_SETTLE, subject="CAorder1:placed")
    Job.objects.filter(pk=check.pk).update(next_attempt_at=timezone.now())

    assert ledger.run(check.pk) == JobState.DONE

    order.refresh_from_db()
    assert order.status == OrderStatus.CALLING
    assert not Job.objects.filter(kind=kinds.ORDER_CONFIRMATION_CALL,
                                  subject=confirmation_calls.subject(order.order_id, 2)).exists()


def test_a_call_that_is_not_an_order_call_changes_no_order(client, order):
    status(client, "CAsomething", "no-answer")

    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


@pytest.mark.parametrize(("setting", "reason"), [
    ("CLAWOPS_FROM_NUMBER", "CLAWOPS_FROM_NUMBER is not set"),
    ("CLAWOPS_ORDER_AGENT_ID", "CLAWOPS_ORDER_AGENT_ID is not set"),
    ("CLAWOPS_API_KEY", "CLAWOPS_API_KEY is not set"),
    ("CLAWOPS_ACCOUNT_ID", "CLAWOPS_ACCOUNT_ID is not set"),
])
def test_it_skips_the_call_with_the_reason_while_the_integration_is_off(
        order, settings, setting, reason):
    setattr(settings, setting, "")

    with respx.mock:  # any request would fail the test
        assert run(order, 1) == JobState.SKIPPED

    assert reason in job(order, 1).last_error
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


@respx.mock
def test_a_number_clawops_refuses_fails_the_job_and_the_order(order):
    respx.post(f"{API}/calls").mock(return_value=httpx.Response(
        400, json={"error": "잘못된 번호", "code": "INVALID_PHONE_NUMBER"}))

    assert run(order, 1) == JobState.FAILED

    assert "INVALID_PHONE_NUMBER" in job(order, 1).last_error
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED


@respx.mock
def test_a_timeout_is_never_resent_blindly(order):
    respx.post(f"{API}/calls").mock(side_effect=httpx.ReadTimeout("no answer"))

    assert run(order, 1) == JobState.UNKNOWN

    assert job(order, 1).state == JobState.UNKNOWN
    assert not Call.objects.exists()
