"""Staff callbacks: "call this person back" from a call in admin, as one ledger job each.

The request and its job are written in one transaction (product.md §5 rule 6); the job
places the call from CLAWOPS_FROM_NUMBER with a short VoiceML script of ours
(callback_views.py) and links the placed call to the request, whose status callbacks then
keep it up to date like any other call.

Why VoiceML and not a managed agent: nobody from staff is on the line, so what the customer
hears should be a fixed, reviewed text — who is calling, why, and a chance to leave a message
— rather than an AI improvising for the business. It needs nothing beyond the number; the
order agent (CLAWOPS_ORDER_AGENT_ID) is instructed for orders and would talk about one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Func, JSONField, Value
from django.utils import timezone

from calls import store
from calls.models import Call
from calls.phone import is_korean_number
from integrations.jobs import kinds, ledger, reasons
from integrations.jobs.outcomes import Done, Skipped
from integrations.models import CallbackRequest, Job, JobState
from integrations.outbound import clawops

# What the status callbacks of a callback call report (contract §2.1).
PERMISSION = "integrations.place_callback"


def subject(request_pk: int) -> str:
    return f"callback:{request_pk}"


def open_request(call: Call) -> CallbackRequest | None:
    """A request for this call whose call has not been placed yet (pending or running)."""
    waiting = Job.objects.filter(
        kind=kinds.CALLBACK_CALL, call=call, state__in=(JobState.PENDING, JobState.RUNNING),
    ).values_list("payload__request", flat=True)
    return CallbackRequest.objects.filter(pk__in=list(waiting)).order_by("-pk").first()


def number_to_call(call: Call) -> str:
    """The customer's number if ClawOps can call it, else "" (anonymous, SIP, foreign)."""
    number = call.customer_number
    return number if is_korean_number(number) else ""


def request_callback(call: Call, user: AbstractBaseUser) -> tuple[CallbackRequest, bool]:
    """Add a callback request and its job; return (request, created).

    A second click while the first request is still waiting creates nothing: the call's
    row lock makes two simultaneous clicks take turns, and the second sees the first.
    """
    number = number_to_call(call)
    if not number:
        raise ValueError(f"call {call.call_id} has no number ClawOps can call back")
    with transaction.atomic():
        Call.objects.select_for_update().filter(pk=call.pk).first()
        waiting = open_request(call)
        if waiting is not None:
            return waiting, False
        request = CallbackRequest.objects.create(
            call=call, number=number, requested_by=user)
        ledger.add(kinds.CALLBACK_CALL, subject(request.pk), call_id=call.pk,
                   payload={"request": request.pk})
    return request, True


class _MergedInto(Func):
    """``row's JSON || value``: the value's keys written over the row's in the UPDATE itself
    (PostgreSQL re-reads a row another transaction changed meanwhile before applying it), so
    keys another write added — the ledger's call id — stay."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra):  # the development server's database
        return self.as_sql(compiler, connection, template="json_patch(%(expressions)s)",
                           arg_joiner=", ", **extra)


def keep_voice_message(request_pk: int, recording_url: str, duration: str) -> None:
    """The customer's message from the script's <Record> (a signed URL ClawOps keeps for
    24 hours, contract §2.3), kept on the job's result so the call page can link it."""
    # Only a web address is shown as a link; anything else is not ClawOps' recording URL.
    if not recording_url.startswith("https://"):
        return
    now = timezone.now()
    message = {"recording_url": recording_url, "recording_duration": duration,
               "recorded_at": now.isoformat()}
    Job.objects.filter(kind=kinds.CALLBACK_CALL, subject=subject(request_pk)).update(
        result=_MergedInto(F("result"), Value(message, output_field=JSONField())),
        updated_at=now,
    )


def place_callback_call(job: Job) -> Done | Skipped:
    # Missing settings are the ledger's to check ("callbacks" in kinds.py).
    request = CallbackRequest.objects.filter(pk=job.payload.get("request")).first()
    if request is None:
        return Skipped(reasons.CALLBACK_DELETED)
    if request.placed_call_id:
        return Skipped(reasons.CALLBACK_PLACED)
    # The job's claim keeps a second worker away; the call goes out outside any
    # transaction (the door commits its "sending" mark first), then is linked.
    placed = clawops.place_call(
        job,
        to=request.number,
        from_=settings.CLAWOPS_FROM_NUMBER,
        url=f"{settings.CLAWOPS_PUBLIC_BASE_URL}/voice/callbacks/{request.pk}/",
    )
    with transaction.atomic():
        request = CallbackRequest.objects.select_for_update().get(pk=request.pk)
        request.placed_call_id = store.record_placed_call(
            placed.call_id, settings.CLAWOPS_FROM_NUMBER, request.number)
        request.save(update_fields=["placed_call"])
    return Done({"call_id": placed.call_id})
