"""Staff callbacks: a staff member's "call this person back" on a call."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from calls.models import Call


class CallbackRequest(models.Model):
    """A staff member's "call back" on a call: one ledger job each."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="callback_requests",
                             verbose_name="원래 통화")
    number = models.CharField("걸 번호", max_length=32)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     verbose_name="요청한 직원")
    requested_at = models.DateTimeField("요청 시각", auto_now_add=True)
    placed_call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name="건 통화")

    class Meta:
        verbose_name = "콜백 요청"
        verbose_name_plural = "콜백 요청"
        ordering = ["-requested_at"]
        permissions = [("place_callback", "고객에게 다시 전화할 수 있음")]
