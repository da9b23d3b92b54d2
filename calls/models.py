"""What ClawOps tells us: calls, their events, messages, transcripts, summaries, and the
raw deliveries all of it arrived in.

Idempotence lives here, in unique constraints: a call once per ``call_id``, an event once
per key (product.md §5 rule 3), a message once per ``message_id``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.phone import format_phone
from calls.vocabulary import (
    MISSED_STATUSES,
    CallStatus,
    Direction,
    EventKind,
    MessageStatus,
)


def missed_call_q() -> Q:
    """Product.md S1: inbound and unanswered, or completed after 0 seconds."""
    return Q(direction=Direction.INBOUND) & (
        Q(status__in=MISSED_STATUSES) | Q(status=CallStatus.COMPLETED, duration=0)
    )


def answered_call_q() -> Q:
    """Call.connected as a filter: the call lasted longer than 0 s or, while its duration is
    not known yet, ClawOps reported the answer. A call answered and then ended after 0 s is
    missed, never answered too."""
    return Q(duration__gt=0) | Q(duration__isnull=True, answered_at__isnull=False)


class Call(models.Model):
    # Unique by a constraint below, not unique=True: that would add a second (LIKE) index
    # that every write of this hot table pays for and no query uses.
    call_id = models.CharField(_("Call ID"), max_length=64)
    direction = models.CharField(_("Direction"), max_length=16, choices=Direction.choices,
                                 blank=True)
    from_number = models.CharField(_("From number"), max_length=64, blank=True)
    to_number = models.CharField(_("To number"), max_length=64, blank=True)
    from_raw = models.CharField(_("From number (as received)"), max_length=128, blank=True)
    to_raw = models.CharField(_("To number (as received)"), max_length=128, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=CallStatus.choices, blank=True)
    # Rank of `status` (calls/vocabulary.py); the merge keeps the higher one.
    status_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    duration = models.PositiveIntegerField(_("Duration (seconds)"), null=True, blank=True)
    answered_by = models.CharField(_("Answered by"), max_length=16, blank=True)
    hangup_cause = models.CharField(_("Hang-up cause"), max_length=64, blank=True)
    hangup_source = models.CharField(_("Hung up by"), max_length=16, blank=True)
    sip_response_code = models.PositiveSmallIntegerField(_("SIP response code"), null=True,
                                                         blank=True)
    recording_url = models.TextField(_("Recording URL"), blank=True)
    # The earliest time any event of this call reports: the call's place in the log.
    started_at = models.DateTimeField(_("Started"))
    initiated_at = models.DateTimeField(_("Initiated"), null=True, blank=True)
    ringing_at = models.DateTimeField(_("Ringing"), null=True, blank=True)
    answered_at = models.DateTimeField(_("Answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("Ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("Call")
        verbose_name_plural = _("Calls")
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["call_id"], name="call_id_unique")]
        # Each status change rewrites every index of the row, so only what admin needs:
        # the log's order (and date filters), the two numbers for search, and the columns
        # the list sorts by that are written once (an index on the status would cost every
        # status change its in-place update). Searching part of a number uses trigram
        # indexes on PostgreSQL (migration 0003).
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="call_log_order"),
            models.Index(fields=["from_number"], name="call_from_number"),
            models.Index(fields=["to_number"], name="call_to_number"),
            models.Index(fields=["duration", "id"], name="call_by_duration"),
            models.Index(fields=["answered_by", "id"], name="call_by_answered_by"),
            models.Index(fields=["direction", "id"], name="call_by_direction"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} ({format_phone(self.from_number)} → {format_phone(self.to_number)})"

    # The three rules every workflow reads a call's outcome by, stated here once. The
    # PostgreSQL intake repeats "connected" in SQL (integrations/follow_ups/rules.py).

    @property
    def is_missed(self) -> bool:
        """An inbound call that ended unanswered: no-answer, busy, canceled, rejected or
        failed, or completed after 0 s (product.md S1)."""
        return self.direction == Direction.INBOUND and (
            self.status in MISSED_STATUSES
            or (self.status == CallStatus.COMPLETED and self.duration == 0)
        )

    @property
    def connected(self) -> bool:
        """Someone or something picked up: the call lasted longer than 0 s or, while its
        duration is not known yet, ClawOps reported the answer. A call that ends after 0 s
        did not connect, whatever came before (product.md S1)."""
        if self.duration is not None:
            return self.duration > 0
        return self.answered_at is not None

    @property
    def answered_by_machine(self) -> bool:
        """Answering-machine detection said a machine picked up (``machine``, and the
        ``machine_*`` variants some detectors report)."""
        return self.answered_by.startswith("machine")

    @property
    def person_answered(self) -> bool:
        """A person took the call: it connected and no answering machine picked up."""
        return self.connected and not self.answered_by_machine

    @property
    def customer_number(self) -> str:
        """The other party: the caller of an inbound call, the callee of an outbound one."""
        return self.to_number if self.direction == Direction.OUTBOUND else self.from_number


class CallEvent(models.Model):
    """One row per distinct event of a call (product.md §5 rule 3 gives the keys)."""

    # No index of its own: the unique (call, …) constraint below starts with it.
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events",
                             db_index=False)
    kind = models.CharField(_("Kind"), max_length=16, choices=EventKind.choices)
    status = models.CharField(_("Status"), max_length=32)
    # TransferSequence for transfer events; 0 for every other kind.
    sequence = models.PositiveSmallIntegerField(_("Transfer sequence"), default=0)
    occurred_at = models.DateTimeField(_("Occurred at"))
    received_at = models.DateTimeField(_("Received at"), default=timezone.now)
    details = models.JSONField(_("Details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Call event")
        verbose_name_plural = _("Call events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "kind", "sequence", "status"], name="call_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.kind} {self.status}"


class Message(models.Model):
    message_id = models.CharField(_("Message ID"), max_length=64, unique=True)
    direction = models.CharField(_("Direction"), max_length=16, choices=Direction.choices,
                                 blank=True)
    type = models.CharField(_("Kind"), max_length=8, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=MessageStatus.choices, blank=True)
    status_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    from_number = models.CharField(_("From number"), max_length=64, blank=True, db_index=True)
    to_number = models.CharField(_("To number"), max_length=64, blank=True, db_index=True)
    from_raw = models.CharField(_("From number (as received)"), max_length=128, blank=True)
    to_raw = models.CharField(_("To number (as received)"), max_length=128, blank=True)
    subject = models.TextField(_("Subject"), blank=True)
    body = models.TextField(_("Text"), blank=True)
    media_urls = models.JSONField(_("Attachment URLs"), default=list, blank=True)
    account_id = models.CharField(_("Account ID"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("Time"), db_index=True)

    class Meta:
        verbose_name = _("Text message")
        verbose_name_plural = _("Text messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message_id


class MessageEvent(models.Model):
    """One row per (message, status): a re-sent message webhook adds nothing."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("Status"), max_length=16)
    occurred_at = models.DateTimeField(_("Occurred at"))

    class Meta:
        verbose_name = _("Text message event")
        verbose_name_plural = _("Text message events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "status"], name="message_event_once")
        ]


class ArtifactStatus(models.TextChoices):
    """Transcript and summary states as ClawOps reports them (contract §3)."""

    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    NOT_REQUESTED = "not_requested", _("Not requested")


class Transcript(models.Model):
    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="transcript")
    status = models.CharField(_("Status"), max_length=16, choices=ArtifactStatus.choices)
    # [{"speaker", "start", "end", "text"}, …] as ClawOps returns them.
    segments = models.JSONField(_("Segments"), default=list, blank=True)
    error = models.TextField(_("Error"), blank=True)
    fetched_at = models.DateTimeField(_("Fetched at"), default=timezone.now)

    class Meta:
        verbose_name = _("Transcript")
        verbose_name_plural = _("Transcripts")


class Summary(models.Model):
    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="summary")
    status = models.CharField(_("Status"), max_length=16, choices=ArtifactStatus.choices)
    # The whole result_json: custom schemas carry more than the default four keys.
    result_json = models.JSONField(_("Summary result"), default=dict, blank=True)
    error = models.TextField(_("Error"), blank=True)
    fetched_at = models.DateTimeField(_("Fetched at"), default=timezone.now)

    class Meta:
        verbose_name = _("Summary")
        verbose_name_plural = _("Summaries")

    @property
    def core_summary(self) -> str:
        return str(self.result_json.get("coreSummary", ""))


class DeliveryKind(models.TextChoices):
    CALL_STATUS = "call_status", _("Call status")
    TRANSFER = "transfer", _("Call transfer")
    MESSAGE = "message", _("Text message")
    TRANSCRIPT = "transcript", _("Transcript")
    SUMMARY = "summary", _("Summary")
    RECORDING = "recording", _("Recording")
    UNKNOWN = "unknown", _("Unknown")


class Outcome(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    DUPLICATE = "duplicate", _("Duplicate")
    IGNORED = "ignored", _("Stored only")
    FAILED = "failed", _("Needs attention")


class Scheme(models.TextChoices):
    X_SIGNATURE = "x-signature", _("X-Signature (form)")
    CLAWOPS_SIGNATURE = "clawops-signature", "X-ClawOps-Signature (JSON)"


class WebhookDelivery(models.Model):
    """One row per accepted (signed) delivery, kept raw so it can be read and replayed."""

    received_at = models.DateTimeField(_("Received at"), default=timezone.now, db_index=True)
    scheme = models.CharField(_("Signature scheme"), max_length=24, choices=Scheme.choices)
    content_type = models.CharField("Content-Type", max_length=128, blank=True)
    headers = models.JSONField(_("Headers"), default=dict, blank=True)
    url = models.TextField("URL")
    # Bytes, not text: a signed body may hold anything, NUL bytes included.
    body = models.BinaryField(_("Body"))
    kind = models.CharField(_("Kind"), max_length=16, choices=DeliveryKind.choices)
    outcome = models.CharField(_("Outcome"), max_length=16, choices=Outcome.choices)
    error = models.TextField(_("Error"), blank=True)
    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries",
        db_index=False,
    )
    replayed_at = models.DateTimeField(_("Replayed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook delivery")
        verbose_name_plural = _("Webhook deliveries")
        ordering = ["-received_at", "-id"]
        indexes = [
            # Only the few that need a person are looked up by outcome.
            models.Index(fields=["-received_at"], condition=Q(outcome="failed"),
                         name="delivery_needs_attention"),
            # Most deliveries are about calls; only message deliveries need this one.
            models.Index(fields=["message"], condition=Q(message__isnull=False),
                         name="delivery_message"),
            # The list sorted by outcome (either direction: ties follow the sort).
            models.Index(fields=["outcome", "id"], name="delivery_by_outcome"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.outcome}"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace").replace("\x00", "\\x00")

