"""The retention purge: what is past DELIVERY_RETENTION_DAYS or PERSONAL_DATA_RETENTION_DAYS
is removed or masked, rule by rule; each rule reports how many rows it changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from calls.models import Call, CallEvent, Message, Summary, Transcript, WebhookDelivery
from calls.vocabulary import EventKind
from integrations.models import Appointment, CallbackRequest, Job, OptOut, Order
from integrations.retention.masking import mask_name, mask_number, mask_text

BATCH = 500
# Transfer event details that may name a person or quote them; the rest (mode, duration)
# is kept for the figures.
PERSONAL_TRANSFER_DETAILS = ("TransferTo", "TransferContext", "TransferReason")
NUMBERS = ("from_number", "to_number", "from_raw", "to_raw")


def purge(*, dry_run: bool = False) -> dict[str, int]:
    """Apply every rule; with ``dry_run`` the same work is done and rolled back, so the
    counts are exactly what a real run would change."""
    now = timezone.now()
    deliveries_cutoff = now - timedelta(days=settings.DELIVERY_RETENTION_DAYS)
    personal_cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    with transaction.atomic():
        report = {
            "delivery bodies and headers": clear_deliveries(
                WebhookDelivery.objects.filter(received_at__lt=deliveries_cutoff)),
            **purge_personal(personal_cutoff),
        }
        if dry_run:
            transaction.set_rollback(True)
    return report


def purge_personal(cutoff: datetime) -> dict[str, int]:
    old_calls = Call.objects.filter(started_at__lt=cutoff)
    return {
        "transcripts": Transcript.objects.filter(call__in=old_calls).delete()[0],
        "summaries": Summary.objects.filter(call__in=old_calls).delete()[0],
        "call numbers": mask_calls(old_calls),
        "transfer details": clear_transfer_details(
            CallEvent.objects.filter(call__in=old_calls, kind=EventKind.TRANSFER)),
        "messages": clear_messages(Message.objects.filter(created_at__lt=cutoff)),
        "appointments": mask_appointments(Appointment.objects.filter(starts_at__lt=cutoff)),
        "opt-out texts": OptOut.objects.filter(created_at__lt=cutoff).exclude(reason="")
        .update(reason=""),
        "orders": mask_orders(Order.objects.filter(received_at__lt=cutoff)),
        "call-back numbers": mask_rows(
            CallbackRequest.objects.filter(requested_at__lt=cutoff), {"number": mask_number}),
        "jobs": mask_rows(Job.objects.filter(created_at__lt=cutoff)
                          .exclude(state__in=("pending", "running")),
                          {"group_key": mask_number, "last_error": mask_text}),
    }


# --- the rules, each over the rows it is given (the purge's and forget_number's) ----------


def clear_deliveries(deliveries: models.QuerySet[WebhookDelivery]) -> int:
    """Raw bodies and headers go; the row (kind, outcome, call, times) stays for the figures
    and the counters of /metrics."""
    return deliveries.exclude(body=b"", headers={}).update(body=b"", headers={})


def mask_calls(calls: models.QuerySet[Call]) -> int:
    return mask_rows(calls, {name: mask_number for name in NUMBERS})


def clear_transfer_details(events: models.QuerySet[CallEvent]) -> int:
    changed = 0
    for event in events.filter(details__has_any_keys=PERSONAL_TRANSFER_DETAILS).iterator():
        details = {k: v for k, v in event.details.items() if k not in PERSONAL_TRANSFER_DETAILS}
        changed += CallEvent.objects.filter(pk=event.pk).update(details=details)
    return changed


def _cleared(value: object) -> object:
    if isinstance(value, (bytes, memoryview)):
        return b""
    return type(value)()  # "", [] or {}: the same type, empty


def clear_messages(messages: models.QuerySet[Message]) -> int:
    return mask_rows(messages, {"body": _cleared, "subject": _cleared, "media_urls": _cleared,
                                **{name: mask_number for name in NUMBERS}})


def mask_appointments(appointments: models.QuerySet[Appointment]) -> int:
    return mask_rows(appointments, {"patient_name": mask_name, "phone": mask_number,
                                    "phone_raw": mask_number, "staff_note": _cleared})


def mask_orders(orders: models.QuerySet[Order]) -> int:
    return mask_rows(orders, {"raw_body": _cleared, "customer_name": mask_name,
                              "customer_phone": mask_number, "customer_phone_raw": mask_number})


def mask_rows(rows: models.QuerySet, masks: dict[str, Callable[[str], str]]) -> int:
    """Apply each field's mask to every row whose value it changes; return rows changed."""
    model = rows.model
    changed = 0
    for batch in _batches(rows.only("pk", *masks).iterator(chunk_size=BATCH)):
        dirty = []
        for row in batch:
            updated = False
            for name, mask in masks.items():
                value = getattr(row, name)
                masked = mask(value)
                if masked != value:
                    setattr(row, name, masked)
                    updated = True
            if updated:
                dirty.append(row)
        if dirty:
            model.objects.bulk_update(dirty, list(masks), batch_size=BATCH)
            changed += len(dirty)
    return changed


def _batches(rows: Iterable, size: int = BATCH) -> Iterable[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
