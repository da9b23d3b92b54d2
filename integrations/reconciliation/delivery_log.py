"""The account webhook's delivery log at ClawOps (``webhook_logs.list``): each delivery it
reports as failed is kept (ids only) and listed in admin for administrators."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from integrations.outbound import clawops as clawops_api
from integrations.outbound import registration as clawops_webhooks
from integrations.outbound.http import OutboundError
from integrations.reconciliation.models import FailedClawOpsDelivery

logger = logging.getLogger(__name__)

MAX_PAGES = 20
# Where a payload names its call or message (form and JSON spellings).
_REFERENCE_FIELDS = ("CallId", "call_id", "callId", "MessageId", "message_id", "messageId")


def webhook_url() -> str:
    return f"{settings.CLAWOPS_PUBLIC_BASE_URL}/webhooks/clawops/"


def collect_failures(window_start: datetime, notes: list[str]) -> int:
    """Record the failed deliveries of our registrations since ``window_start``; return
    how many were new."""
    try:
        return _collect(window_start, notes)
    except OutboundError as exc:
        notes.append(f"delivery log not read: {exc}")
        logger.warning("reconciliation: ClawOps' delivery log could not be read: %s", exc)
        return 0


def _collect(window_start: datetime, notes: list[str]) -> int:
    ours = [r for r in clawops_webhooks.list_registrations() if r.url == webhook_url()]
    if not ours:
        notes.append(f"no account webhook is registered for {webhook_url()}; "
                     "run register_clawops")
        return 0
    new = 0
    for registration in ours:
        for number in range(MAX_PAGES):
            page = clawops_api.list_webhook_logs(registration.id, page=number)
            logs = list(page.data)
            for log in logs:
                if log.status == "failed" and log.created_at >= window_start:
                    new += _keep(log)
            # The order of the log is not documented: stop once a whole page is older.
            if not page.has_next_page() or all(log.created_at < window_start for log in logs):
                break
    if new:
        logger.warning("ClawOps reports %s failed webhook deliveries to clawsite", new)
    return new


def _keep(log) -> int:
    payload = log.request_payload if isinstance(log.request_payload, dict) else {}
    reference = next((str(payload[name]) for name in _REFERENCE_FIELDS if payload.get(name)), "")
    try:
        with transaction.atomic():
            _, created = FailedClawOpsDelivery.objects.update_or_create(
                log_id=str(log.id)[:64],
                defaults={
                    "webhook_id": str(log.webhook_id)[:64],
                    "event": str(log.event)[:64],
                    "reference": reference[:64],
                    "request_url": log.request_url,
                    "response_status": log.response_status,
                    "response_excerpt": (log.response_body or "")[:300],
                    "attempt": log.attempt,
                    "max_attempts": log.max_attempts,
                    "created_at": log.created_at,
                    "completed_at": log.completed_at,
                },
            )
    except IntegrityError:
        return 0  # a run beside this one kept it first
    return int(created)
