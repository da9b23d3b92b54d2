"""The ClawOps status vocabulary (contract §3) and the rules clawsite derives from it.

Ranks make call state order-proof: a status only replaces one of lower rank, so events
that arrive late or twice never move a call backwards (product.md §5 rule 4). Every final
status has its own rank, so even two different final statuses settle the same way
whatever order they come in.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallStatus(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    QUEUED = "queued", _("Initiated")
    RINGING = "ringing", _("Ringing")
    IN_PROGRESS = "in-progress", _("In progress")
    COMPLETED = "completed", _("Call completed")
    BUSY = "busy", _("Busy")
    NO_ANSWER = "no-answer", _("No answer")
    CANCELED = "canceled", _("Cancelled by caller")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Connection failed")


CALL_STATUS_RANK: dict[str, int] = {
    CallStatus.UNKNOWN: 0,
    CallStatus.QUEUED: 10,
    CallStatus.RINGING: 20,
    CallStatus.IN_PROGRESS: 30,
    CallStatus.FAILED: 41,
    CallStatus.CANCELED: 42,
    CallStatus.REJECTED: 43,
    CallStatus.BUSY: 44,
    CallStatus.NO_ANSWER: 45,
    CallStatus.COMPLETED: 49,
}
FINAL_CALL_STATUSES = frozenset(s for s, rank in CALL_STATUS_RANK.items() if rank >= 40)

# Hang-up causes no second try can change: the number does not exist or refuses us
# (contract §3, no-retry causes; recipient_blocked is ClawOps' do-not-call list).
FINAL_HANGUP_CAUSES = frozenset(
    {"invalid_number", "number_changed", "incompatible_destination", "recipient_blocked"}
)

# Product.md S1: an inbound call that ends unanswered.
MISSED_STATUSES = frozenset(
    {CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.CANCELED, CallStatus.REJECTED,
     CallStatus.FAILED}
)


class CallStage(models.TextChoices):
    """What a status event reports; `initiated` is the event, `queued` the call status."""

    INITIATED = "initiated", _("Initiated")
    RINGING = "ringing", _("Ringing")
    ANSWERED = "in-progress", _("Answered")
    COMPLETED = "completed", _("Call completed")
    BUSY = "busy", _("Busy")
    NO_ANSWER = "no-answer", _("No answer")
    CANCELED = "canceled", _("Cancelled by caller")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Connection failed")


# Every spelling ClawOps (or the blog's JSON) may use for a stage.
CALL_STAGE_ALIASES: dict[str, str] = {
    "initiated": CallStage.INITIATED,
    "queued": CallStage.INITIATED,
    "ringing": CallStage.RINGING,
    "answered": CallStage.ANSWERED,
    "in-progress": CallStage.ANSWERED,
    "completed": CallStage.COMPLETED,
    "busy": CallStage.BUSY,
    "no-answer": CallStage.NO_ANSWER,
    "canceled": CallStage.CANCELED,
    "cancelled": CallStage.CANCELED,
    "rejected": CallStage.REJECTED,
    "failed": CallStage.FAILED,
}

STAGE_TO_CALL_STATUS: dict[str, str] = {
    CallStage.INITIATED: CallStatus.QUEUED,
    **{stage: stage for stage in CallStage.values if stage != CallStage.INITIATED},
}

TRANSFER_STATUSES = frozenset(
    {"initiated", "ringing", "connected", "completed", "failed", "no-answer", "busy",
     "canceled", "interrupted"}
)


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Sending failed")
    RECEIVED = "received", _("Received")


MESSAGE_STATUS_RANK: dict[str, int] = {
    MessageStatus.QUEUED: 10,
    MessageStatus.SENT: 20,
    MessageStatus.FAILED: 21,
    MessageStatus.RECEIVED: 30,
}


class EventKind(models.TextChoices):
    STATUS = "status", _("Call status")
    TRANSFER = "transfer", _("Call transfer")
    TRANSCRIPT = "transcript", _("Transcript")
    SUMMARY = "summary", _("Summary")
    RECORDING = "recording", _("Recording")


ARTIFACT_KINDS = (EventKind.TRANSCRIPT, EventKind.SUMMARY, EventKind.RECORDING)
