"""The job ledger: every piece of outbound work as a row (product.md §5 rule 6).

One row per (kind, subject), written in the same transaction as the event that causes it,
so work is never lost and never doubled: a queue message only wakes a worker, which must
claim the row with a conditional UPDATE before doing anything.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models import Call, Message


class JobState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    # The worker stopped mid-request to a receiver that cannot dedupe: it may or may not
    # have been sent, and sending again could double it. Staff decide.
    UNKNOWN = "unknown", _("Check the outcome")


OPEN_STATES = (JobState.PENDING, JobState.RUNNING)


class Job(models.Model):
    kind = models.CharField(_("Kind"), max_length=32)
    # What the job is about, unique per kind: a call id, an appointment, a request id.
    subject = models.CharField(_("About"), max_length=128)
    # Jobs of one kind that belong together (the caller's number for missed-call alerts).
    group_key = models.CharField(_("Group"), max_length=128, blank=True, db_index=True)
    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs",
        verbose_name=_("Call"),
    )
    state = models.CharField(
        _("Status"), max_length=16, choices=JobState.choices, default=JobState.PENDING
    )
    attempts = models.PositiveIntegerField(_("Attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("Next attempt"), null=True, blank=True)
    # While running: when the claim lapses and the sweeper may act on the row.
    lease_until = models.DateTimeField(_("Claim expires"), null=True, blank=True)
    # Set just before a request leaves: a worker that dies after this point may have sent it.
    sending_since = models.DateTimeField(_("Sending since"), null=True, blank=True)
    # When a queue message was last sent for this row (so the sweeper does not flood).
    enqueued_at = models.DateTimeField(_("Queued at"), null=True, blank=True)
    last_error = models.TextField(_("Last error"), blank=True)
    payload = models.JSONField(_("Input"), default=dict, blank=True)
    result = models.JSONField(_("Result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("Created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Changed"), auto_now=True)
    finished_at = models.DateTimeField(_("Finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("Job")
        verbose_name_plural = _("Jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject"], name="job_once_per_subject")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="job_due")]
        permissions = [("retry_job", _("Can retry jobs"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.state})"


# --- Clinics and appointment reminders (S4) ---------------------------------------------


class QuietHoursPolicy(models.TextChoices):
    SEND_EARLIER = "earlier", _("Send before quiet hours")
    SKIP = "skip", _("Do not send")


class Clinic(models.Model):
    name = models.CharField(_("Clinic name"), max_length=100)
    phone = models.CharField(_("Number for changes"), max_length=32)
    from_number = models.CharField(_("Sending number (ClawOps)"), max_length=32)
    reminder_lead_minutes = models.PositiveIntegerField(_("Reminder SMS (minutes before)"),
                                                        default=60)
    escalation_delay_minutes = models.PositiveIntegerField(
        _("Call if unconfirmed (minutes after SMS)"), default=10
    )
    quiet_start = models.TimeField(_("Quiet hours start"), default=time(21, 0))
    quiet_end = models.TimeField(_("Quiet hours end"), default=time(8, 0))
    quiet_hours_policy = models.CharField(
        _("If in quiet hours"), max_length=8, choices=QuietHoursPolicy.choices,
        default=QuietHoursPolicy.SEND_EARLIER,
    )

    class Meta:
        verbose_name = _("Clinic")
        verbose_name_plural = _("Clinics")

    def __str__(self) -> str:
        return self.name


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    NEEDS_STAFF = "needs_staff", _("Needs staff")


class AnswerChannel(models.TextChoices):
    """How an appointment got its answer: what the reminder outcomes chart counts."""

    SMS = "sms", _("By SMS")
    CALL = "call", _("By key press")
    STAFF = "staff", _("By staff")


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments",
                               verbose_name=_("Clinic"))
    patient_name = models.CharField(_("Patient name"), max_length=100)
    phone = models.CharField(_("Phone number"), max_length=32, db_index=True)
    phone_raw = models.CharField(_("Phone number (as entered)"), max_length=64, blank=True)
    starts_at = models.DateTimeField(_("Appointment time"), db_index=True)
    status = models.CharField(_("Status"), max_length=16, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.SCHEDULED, db_index=True)
    # A reschedule starts a new reminder cycle: jobs are keyed by it, so each cycle
    # reminds once and an old cycle's jobs find themselves outdated.
    cycle = models.PositiveIntegerField(_("Reminder cycle"), default=1)
    # The reminders of the current cycle, once sent.
    reminder_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("Reminder SMS"),
    )
    reminder_call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("Reminder call"),
    )
    staff_note = models.TextField(_("Why staff must check"), blank=True)
    answered_via = models.CharField(_("Answered"), max_length=8, choices=AnswerChannel.choices,
                                    blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Changed"), auto_now=True)

    class Meta:
        verbose_name = _("Appointment")
        verbose_name_plural = _("Appointments")
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.patient_name} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class OptOut(models.Model):
    """A number that asked for no more reminders (수신거부 / STOP)."""

    phone = models.CharField(_("Phone number"), max_length=32, unique=True)
    reason = models.TextField(_("Text received"), blank=True)
    created_at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("Opt-out")
        verbose_name_plural = _("Opt-outs")

    def __str__(self) -> str:
        return self.phone


class ReplyIntent(models.TextChoices):
    CONFIRM = "confirm", _("Confirm")
    CANCEL = "cancel", _("Cancel")
    OPT_OUT = "opt_out", _("Opt-out")
    OTHER = "other", _("Needs staff")


class AppointmentReply(models.Model):
    """An inbound SMS matched to an appointment (or to none), with what it was read as."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="reply",
                                   verbose_name=_("Text message"))
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="replies",
                                    verbose_name=_("Appointment"))
    intent = models.CharField(_("Read as"), max_length=16, choices=ReplyIntent.choices)
    created_at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("Patient reply")
        verbose_name_plural = _("Patient replies")
        ordering = ["-created_at"]


# --- Shop orders and staff callbacks (S2) ------------------------------------------------


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("New")
    CALLING = "calling", _("Calling")
    ANSWERED = "answered", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")
    FAILED = "failed", _("Failed")


class Order(models.Model):
    order_id = models.CharField(_("Order number"), max_length=64, unique=True)
    customer_name = models.CharField(_("Customer name"), max_length=100)
    customer_phone = models.CharField(_("Customer number"), max_length=32, db_index=True)
    customer_phone_raw = models.CharField(_("Customer number (as entered)"), max_length=64,
                                          blank=True)
    items = models.JSONField(_("Items"), default=list)
    total_price = models.PositiveIntegerField(_("Amount (won)"))
    status = models.CharField(_("Status"), max_length=16, choices=OrderStatus.choices,
                              default=OrderStatus.RECEIVED)
    # The confirmation calls placed for this order, newest last (one retry at most).
    calls = models.ManyToManyField(Call, blank=True, related_name="orders",
                                   verbose_name=_("Confirmation calls"))
    raw_body = models.BinaryField(_("Body received"))
    received_at = models.DateTimeField(_("Ordered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Order")
        verbose_name_plural = _("Orders")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.order_id


class CallbackRequest(models.Model):
    """A staff member's "call back" on a call: one ledger job each."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="callback_requests",
                             verbose_name=_("Original call"))
    number = models.CharField(_("Number to call"), max_length=32)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     verbose_name=_("Requested by"))
    requested_at = models.DateTimeField(_("Requested at"), auto_now_add=True)
    placed_call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("Placed call"))

    class Meta:
        verbose_name = _("Call-back request")
        verbose_name_plural = _("Call-back requests")
        ordering = ["-requested_at"]
        permissions = [("place_callback", _("Can call customers back"))]
