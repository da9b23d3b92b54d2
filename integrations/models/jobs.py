"""The job ledger: every piece of outbound work as a row (product.md §5 rule 6).

One row per (kind, subject), written in the same transaction as the event that causes it,
so work is never lost and never doubled: a queue message only wakes a worker, which must
claim the row with a conditional UPDATE before doing anything.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from calls.models import Call


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
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="job_due"),
            # The admin's list, newest first (Meta.ordering), read backwards.
            models.Index(fields=["created_at", "id"], name="job_log_order"),
            # The admin's search by subject (the unique constraint leads with the kind).
            models.Index(fields=["subject"], name="job_subject"),
        ]
        permissions = [("retry_job", _("Can retry jobs"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.state})"


class JobWakeup(models.Model):
    """One row: when the last wake-up message was sent that no worker has taken up yet.

    A worker woken by it claims every due job in batches, so one message is enough however
    many jobs were added meanwhile; without this row, every added job would send its own
    message and the worker would spend its time on messages instead of jobs.
    """

    sent_at = models.DateTimeField(_("wake-up sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("job wake-up")
        verbose_name_plural = _("job wake-ups")

    def __str__(self) -> str:
        return f"wake-up sent at {self.sent_at}" if self.sent_at else "no wake-up waiting"
