"""Erase one person on request: every trace of one phone number, everywhere, now.

Rows that hold the number in a column are found by the column (calls, messages,
appointments, orders, call-backs, jobs, opt-outs); raw bodies and free texts that may quote
it in any spelling (deliveries, job payloads and errors, transfer details) are searched with
a pattern that matches every way it can be written. What was said on the person's calls
(transcripts, summaries) goes too. The audit trail records the erasure by the number's last
four digits only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Q

from calls.models import Call, CallEvent, Message, Summary, Transcript, WebhookDelivery
from calls.phone import korean_number
from integrations import audit
from integrations.audit.models import AuditAction
from integrations.models import Appointment, CallbackRequest, Job, OptOut, Order
from integrations.retention import purge
from integrations.retention.masking import mask_number, number_pattern

BATCH = 500


class NotANumber(ValueError):
    pass


def forget(raw_number: str, *, user: Any = None, dry_run: bool = False) -> dict[str, int]:
    # The same rule every door stores numbers by, so any spelling finds the stored one.
    try:
        number = korean_number(raw_number)
    except ValueError:
        raise NotANumber(f"{raw_number!r} is not a Korean phone number") from None
    pattern = number_pattern(number)
    calls = Call.objects.filter(Q(from_number=number) | Q(to_number=number))
    messages = Message.objects.filter(Q(from_number=number) | Q(to_number=number))
    with transaction.atomic():
        report = {
            # Found by the number's rows and by scanning every raw body that is left.
            "delivery bodies": _clear_deliveries(pattern, calls, messages),
            "transcripts": Transcript.objects.filter(call__in=calls).delete()[0],
            "summaries": Summary.objects.filter(call__in=calls).delete()[0],
            "transfer details": _scrub_events(pattern),
            "jobs": _scrub_jobs(pattern, number),
            "calls": purge.mask_calls(calls),
            "messages": purge.clear_messages(messages),
            "appointments": purge.mask_appointments(Appointment.objects.filter(phone=number)),
            "orders": purge.mask_orders(Order.objects.filter(customer_phone=number)),
            "call-backs": purge.mask_rows(CallbackRequest.objects.filter(number=number),
                                          {"number": mask_number}),
            "opt-outs": OptOut.objects.filter(phone=number).delete()[0],
            # Anyone else's text that quotes the number: masked where it is quoted.
            "quoted elsewhere": sum(_scrub_quotes(model, fields, pattern)
                                    for model, fields in QUOTING_FIELDS),
        }
        if any(report.values()) and not dry_run:
            audit.record(user, AuditAction.ERASE, f"number ending {number[-4:]}",
                         detail=", ".join(f"{k}: {v}" for k, v in report.items() if v))
        if dry_run:
            transaction.set_rollback(True)
    return report


# Free texts and JSON that may quote a number someone said or typed.
QUOTING_FIELDS = (
    (Message, ("body", "subject")),
    (Transcript, ("segments",)),
    (Summary, ("result_json",)),
    (Appointment, ("staff_note",)),
    (OptOut, ("reason",)),
    (Order, ("raw_body",)),
    (LogEntry, ("object_repr", "change_message")),
)


def _scrub_quotes(model, fields: tuple[str, ...], pattern: re.Pattern[str]) -> int:
    changed = 0
    for row in model.objects.only("pk", *fields).iterator(chunk_size=BATCH):
        updates = {}
        for name in fields:
            value = getattr(row, name)
            if isinstance(value, (bytes, memoryview)):
                if pattern.search(bytes(value).decode("utf-8", errors="replace")):
                    updates[name] = b""  # a raw body is cleared, not edited
            elif isinstance(value, str):
                masked = pattern.sub(lambda m: mask_number(m.group(0)), value)
                if masked != value:
                    updates[name] = masked
            elif value:
                masked = _scrub(value, pattern)
                if masked != value:
                    updates[name] = masked
        if updates:
            changed += model.objects.filter(pk=row.pk).update(**updates)
    return changed


def _clear_deliveries(pattern: re.Pattern[str], calls, messages) -> int:
    linked = WebhookDelivery.objects.filter(Q(call__in=calls) | Q(message__in=messages))
    changed = purge.clear_deliveries(linked)
    quoting = [
        delivery.pk
        for delivery in WebhookDelivery.objects.exclude(body=b"").only("pk", "body")
        .iterator(chunk_size=BATCH)
        if pattern.search(bytes(delivery.body).decode("utf-8", errors="replace"))
    ]
    for start in range(0, len(quoting), BATCH):
        changed += purge.clear_deliveries(
            WebhookDelivery.objects.filter(pk__in=quoting[start:start + BATCH]))
    return changed


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """The same JSON value with every quote of the number masked."""
    text = json.dumps(value, ensure_ascii=False)
    if not pattern.search(text):
        return value
    return json.loads(pattern.sub(lambda m: mask_number(m.group(0)), text))


def _scrub_events(pattern: re.Pattern[str]) -> int:
    changed = 0
    events = CallEvent.objects.exclude(details={}).only("pk", "details")
    for event in events.iterator(chunk_size=BATCH):
        details = _scrub(event.details, pattern)
        if details != event.details:
            changed += CallEvent.objects.filter(pk=event.pk).update(details=details)
    return changed


def _scrub_jobs(pattern: re.Pattern[str], number: str) -> int:
    changed = 0
    fields = ("pk", "group_key", "payload", "result", "last_error")
    for job in Job.objects.only(*fields).iterator(chunk_size=BATCH):
        updates = {
            "group_key": mask_number(job.group_key) if job.group_key == number else job.group_key,
            "payload": _scrub(job.payload, pattern),
            "result": _scrub(job.result, pattern),
            "last_error": pattern.sub(lambda m: mask_number(m.group(0)), job.last_error),
        }
        if any(updates[name] != getattr(job, name) for name in updates):
            changed += Job.objects.filter(pk=job.pk).update(**updates)
    return changed
