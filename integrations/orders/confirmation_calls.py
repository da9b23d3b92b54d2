"""S2: a shop's new order becomes an AI confirmation call, tried twice at most.

- ``receive`` stores the order once per ``order_id`` and adds the first call's ledger job in
  the same transaction (product.md §5 rules 3 and 6); nothing leaves during the request.
- ``place_confirmation_call`` (the job) places the call through the managed agent with the
  order as per-call context (contract §9), records the placed call and links it to the order.
- ``on_call_ended`` (the settlement job a call's end adds, follow_ups.py) settles the order:
  answered by a person, or one more try after ORDER_RETRY_DELAY_MINUTES, then not reached.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from calls import store
from calls.models import Call
from calls.vocabulary import FINAL_CALL_STATUSES, FINAL_HANGUP_CAUSES, CallStatus
from integrations.jobs import kinds, ledger, reasons
from integrations.jobs.outcomes import Done, Skipped
from integrations.models import Job, Order, OrderStatus
from integrations.orders.agent_context import call_context
from integrations.outbound import clawops
from integrations.outbound.http import OutboundError

logger = logging.getLogger(__name__)

# The first call and one retry (product.md S2; the issue asks for exactly one more try).
MAX_ATTEMPTS = 2
# What the status callbacks of a confirmation call report (contract §2.1).

# The agent's task for this one call (contract §7.3 CallContext.Instruction, ≤ 4000 chars).
# It names the variables instead of holding their values, so it is the same text for every
# order and the order's data travels only in Variables.
def subject(order_id: str, attempt: int) -> str:
    return f"order:{order_id}:attempt:{attempt}"


def subject_prefix(order_id: str) -> str:
    return f"order:{order_id}:attempt:"


# --- the webhook -------------------------------------------------------------------------


def receive(
    *,
    order_id: str,
    customer_name: str,
    customer_phone: str,
    customer_phone_raw: str,
    items: list[dict[str, Any]],
    total_price: int,
    raw_body: bytes,
) -> tuple[Order, bool]:
    """Store the order and its first call job together; return (order, created).

    A second delivery of the same order_id finds the unique constraint and changes nothing,
    also when both arrive at once (the second insert waits for the first, then conflicts).
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    order_id=order_id, customer_name=customer_name,
                    customer_phone=customer_phone, customer_phone_raw=customer_phone_raw[:64],
                    items=items, total_price=total_price, raw_body=raw_body,
                )
        except IntegrityError:
            return Order.objects.get(order_id=order_id), False
        ledger.add(kinds.ORDER_CONFIRMATION_CALL, subject(order_id, 1),
                   payload={"order": order.pk, "attempt": 1})
    return order, True


# --- the job ---------------------------------------------------------------------------------


def place_confirmation_call(job: Job) -> Done | Skipped:
    # Missing settings are the ledger's to check ("order_calls" in kinds.py).
    try:
        return _place(job, int(job.payload.get("attempt", 1)))
    except OutboundError as exc:
        if exc.permanent and not exc.unknown:
            # An invalid or blocked number will not get better: show it on the order too.
            Order.objects.filter(pk=job.payload.get("order")).exclude(
                status=OrderStatus.ANSWERED).update(status=OrderStatus.FAILED)
        raise


def why_not(order: Order, attempt: int) -> str:
    """The reason this attempt must not be placed, or "" when it may."""
    if order.status == OrderStatus.ANSWERED:
        return reasons.ORDER_REACHED
    if order.calls.count() >= attempt:
        return reasons.attempt_placed(attempt)
    return ""


# After placing a call, when to look whether it ended before it was linked to its order.
SETTLE_CHECK_AFTER = timedelta(minutes=1)


def _place(job: Job, attempt: int) -> Done | Skipped:
    order = Order.objects.filter(pk=job.payload.get("order")).first()
    if order is None:
        return Skipped(reasons.ORDER_DELETED)
    reason = why_not(order, attempt)
    if reason:
        return Skipped(reason)
    # The call goes out outside any transaction (the door commits its "sending" mark
    # first); the order's row lock, which on_call_ended also takes, orders the link
    # against the outcome of an earlier call.
    placed = clawops.place_call(
        job,
        to=order.customer_phone,
        from_=settings.CLAWOPS_FROM_NUMBER,
        agent_id=settings.CLAWOPS_ORDER_AGENT_ID,
        call_context=call_context(order),
        **machine_detection(),
    )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        call_pk = store.record_placed_call(placed.call_id, settings.CLAWOPS_FROM_NUMBER,
                                           order.customer_phone)
        order.calls.add(call_pk)
        if order.status != OrderStatus.ANSWERED:  # a late answer to an earlier call counts
            order.status = OrderStatus.CALLING
            order.save(update_fields=["status"])
        Job.objects.filter(pk=job.pk).update(call_id=call_pk)
        # A call that ended at once may report its end while this transaction is open:
        # that event's statement cannot see the link yet, and this one cannot see the end.
        # A settlement shortly after the commit closes the gap (it does nothing to a call
        # that is still going; that call's own end settles it).
        ledger.add(kinds.ORDER_SETTLE, f"{placed.call_id}:placed", call_id=call_pk,
                   due_at=timezone.now() + SETTLE_CHECK_AFTER)
    return Done({"call_id": placed.call_id, "attempt": attempt})


def machine_detection() -> dict[str, str]:
    """Answering-machine detection when CLAWOPS_MACHINE_DETECTION is on: AnsweredBy then
    tells a machine from the customer (contract §2.1). It needs ClawOps' AMD add-on —
    without it every such call is refused (422) — so it is off by default."""
    return {"machine_detection": "Enable"} if settings.CLAWOPS_MACHINE_DETECTION else {}


# --- the outcome -----------------------------------------------------------------------------


def reached(call: Call) -> bool:
    """The order's customer was reached: the call completed and a person took it."""
    return call.status == CallStatus.COMPLETED and call.person_answered


def settle_after_call(job: Job) -> Done:
    """The ledger job a call's end adds (integrations/follow_ups/rules.py), or the placing job's
    check a minute later: settle the call's orders once the call has ended."""
    if job.call is None:
        return Done({"skipped": "the call was deleted"})
    if job.call.status not in FINAL_CALL_STATUSES:
        return Done({"call_status": job.call.status, "settled": False})
    on_call_ended(job.call)
    return Done({"call_status": job.call.status, "settled": True})


def on_call_ended(call: Call) -> None:
    """A call reached a final status: settle the orders it was placed for (usually none)."""
    order_pks = list(Order.calls.through.objects.filter(call_id=call.pk)
                     .values_list("order_id", flat=True))
    for order_pk in order_pks:
        with transaction.atomic():
            settle(Order.objects.select_for_update().get(pk=order_pk), call)


def settle(order: Order, call: Call) -> None:
    """Decide the order from one of its calls; the caller holds the order's row lock.

    Runs again for every later event of the call (a second final status, a late
    ``answered``), so it reads the call's merged state and is idempotent: an answered order
    stays answered, and the retry is a ledger job whose (kind, subject) exists only once.
    """
    if order.status == OrderStatus.ANSWERED:
        return
    placed = list(Order.calls.through.objects.filter(order_id=order.pk)
                  .order_by("pk").values_list("call_id", flat=True))
    if call.pk not in placed:
        return
    attempt = placed.index(call.pk) + 1
    if reached(call):
        order.status = OrderStatus.ANSWERED
    elif attempt < len(placed):
        return  # a later attempt exists; that one decides
    elif call.hangup_cause in FINAL_HANGUP_CAUSES:
        order.status = OrderStatus.FAILED  # calling this number again cannot help
    elif attempt < MAX_ATTEMPTS:
        delay = timedelta(minutes=settings.ORDER_RETRY_DELAY_MINUTES)
        ledger.add(kinds.ORDER_CONFIRMATION_CALL, subject(order.order_id, attempt + 1),
                   due_at=timezone.now() + delay,
                   payload={"order": order.pk, "attempt": attempt + 1})
        order.status = OrderStatus.CALLING
    else:
        order.status = OrderStatus.NOT_REACHED
    order.save(update_fields=["status"])
    logger.info("order %s: call %s (attempt %s) ended %s -> %s", order.order_id,
                call.call_id, attempt, call.status, order.status)
