"""A shop's orders (S2): each order as the shop sent it and its confirmation calls."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from calls.models import Call


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
