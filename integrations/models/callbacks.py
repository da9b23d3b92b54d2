"""Staff callbacks: a staff member's "call this person back" on a call."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from calls.models import Call


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
