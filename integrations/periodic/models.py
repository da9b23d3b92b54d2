"""One row per periodic task: its last start and end, and the lease of a run in progress."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    name = models.CharField(_("task"), max_length=64, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    # While a run that must not overlap is in progress: when its claim lapses.
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    holder = models.CharField(_("claimed by"), max_length=64, blank=True)
    last_result = models.JSONField(_("last result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("periodic task run")
        verbose_name_plural = _("periodic task runs")

    def __str__(self) -> str:
        return self.name


class DeliveryTally(models.Model):
    """How many deliveries were accepted with each outcome, among those up to ``up_to_id``.

    ``/metrics`` adds the few rows after ``up_to_id`` to these counts instead of counting
    the whole (ever-growing) deliveries table at every scrape; the sweeper moves the tally
    forward every minute (integrations/periodic/tallies.py)."""

    outcome = models.CharField(_("outcome"), max_length=16, unique=True)
    up_to_id = models.BigIntegerField(_("counted up to delivery"), default=0)
    count = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("delivery tally")
        verbose_name_plural = _("delivery tallies")
