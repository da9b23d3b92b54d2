"""What reconciliation recovered, and the deliveries ClawOps reports as failed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models import Call, Message


class RecoverySource(models.TextChoices):
    RECONCILIATION = "reconciliation", _("reconciliation with ClawOps")


class RecoveredKind(models.TextChoices):
    CALL = "call", _("call")
    MESSAGE = "message", _("message")


class RecoveredItem(models.Model):
    """A call or message state clawsite learnt from the API instead of a webhook."""

    recovered_at = models.DateTimeField(_("recovered at"), default=timezone.now, db_index=True)
    source = models.CharField(_("source"), max_length=32, choices=RecoverySource.choices,
                              default=RecoverySource.RECONCILIATION)
    kind = models.CharField(_("kind"), max_length=16, choices=RecoveredKind.choices)
    reference = models.CharField(_("ClawOps id"), max_length=64)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("call"))
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("message"))
    status_before = models.CharField(_("status before"), max_length=16, blank=True)
    status_after = models.CharField(_("status after"), max_length=16)

    class Meta:
        verbose_name = _("recovered item")
        verbose_name_plural = _("recovered items")
        ordering = ["-recovered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} → {self.status_after}"


class FailedClawOpsDelivery(models.Model):
    """A delivery ClawOps' log reports as failed (``webhook_logs.list``), by its log id.

    Only ids are kept from the payload ClawOps sent: never the body or the numbers."""

    log_id = models.CharField(_("log id"), max_length=64, unique=True)
    webhook_id = models.CharField(_("webhook id"), max_length=64)
    event = models.CharField(_("event"), max_length=64)
    reference = models.CharField(_("call or message id"), max_length=64, blank=True)
    request_url = models.TextField(_("URL"))
    response_status = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    response_excerpt = models.CharField(_("answer body"), max_length=300, blank=True)
    attempt = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=0)
    created_at = models.DateTimeField(_("sent at"))
    completed_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    seen_at = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("failed ClawOps delivery")
        verbose_name_plural = _("failed ClawOps deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} {self.reference or self.log_id}"
