"""One row per audited action. Written by the action itself; never changed afterwards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW_TRANSCRIPT = "view_transcript", _("viewed transcript or summary")
    CALLBACK = "callback", _("placed a call-back")
    REPLAY = "replay", _("replayed a delivery")
    RETRY_JOB = "retry_job", _("retried a job")
    EXPORT = "export", _("exported")
    IMPORT = "import", _("imported")
    ERASE = "erase", _("erased personal data")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # The account may be deleted one day; its name stays on the entries it made.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    subject = models.CharField(_("subject"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action} {self.subject}"
