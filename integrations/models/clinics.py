"""A clinic's reminders (S4): the clinic, its appointments, opt-outs and patients' replies."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models import Call, Message


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
    # The booking system's own id, when the appointment came through the API: unique per
    # clinic, so the same booking sent twice is one appointment.
    external_id = models.CharField(_("Booking system ID"), max_length=64, null=True,
                                   blank=True)
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
        constraints = [
            models.UniqueConstraint(fields=["clinic", "external_id"],
                                    name="appointment_external_id_per_clinic"),
        ]

    def __str__(self) -> str:
        try:
            return f"{self.patient_name} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"
        except OverflowError:  # a time at the calendar's edge; in UTC rather than nowhere
            return f"{self.patient_name} {self.starts_at:%Y-%m-%d %H:%M} UTC"


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


class ReminderKeyPress(models.Model):
    """The key a patient pressed during one reminder call. One row per ClawOps call: a
    Gather request posted again (a retry, or a captured request replayed later) finds it
    and changes nothing, so a staff decision taken since is never undone by an old press."""

    call_id = models.CharField(_("Call ID"), max_length=64)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="key_presses", verbose_name=_("Appointment"))
    digits = models.CharField(_("Keys pressed"), max_length=16)
    received_at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("Reminder call answer")
        verbose_name_plural = _("Reminder call answers")
        constraints = [models.UniqueConstraint(fields=["call_id"], name="key_press_once_per_call")]
