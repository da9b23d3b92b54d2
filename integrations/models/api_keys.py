"""The models of the booking-system API: one key per client, kept only as a hash.

A key belongs to one clinic and sees only that clinic's rows. The key itself is shown once,
when it is made (``manage.py create_api_key``); what is stored cannot be turned back into it.
The rate-limit window lives on the row so that every web process counts the same requests.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from integrations.models.clinics import Clinic


class ApiKey(models.Model):
    name = models.CharField(pgettext_lazy("api key", "name"), max_length=100)
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=pgettext_lazy("api key", "clinic"),
    )
    # The first characters of the key: enough for staff to tell keys apart, useless to
    # anyone else.
    prefix = models.CharField(pgettext_lazy("api key", "key starts with"), max_length=16)
    # SHA-256 of the whole key. Keys are long random strings, so a plain hash is enough
    # (passwords need a slow hash because people choose them).
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(pgettext_lazy("api key", "created"), auto_now_add=True)
    last_used_at = models.DateTimeField(
        pgettext_lazy("api key", "last used"), null=True, blank=True
    )
    revoked_at = models.DateTimeField(pgettext_lazy("api key", "revoked"), null=True, blank=True)
    # The current rate-limit window: when it began and how many requests it has seen.
    rate_window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    rate_window_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = pgettext_lazy("api key", "API key")
        verbose_name_plural = pgettext_lazy("api key", "API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
