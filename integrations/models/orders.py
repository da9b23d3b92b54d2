"""A shop's orders (S2): each order as the shop sent it and its confirmation calls."""

from __future__ import annotations

from django.db import models

from calls.models import Call


class OrderStatus(models.TextChoices):
    RECEIVED = "received", "접수"
    CALLING = "calling", "통화 중"
    ANSWERED = "answered", "통화 완료"
    NOT_REACHED = "not_reached", "연결 안 됨"
    FAILED = "failed", "실패"


class Order(models.Model):
    order_id = models.CharField("주문 번호", max_length=64, unique=True)
    customer_name = models.CharField("고객 이름", max_length=100)
    customer_phone = models.CharField("고객 번호", max_length=32, db_index=True)
    customer_phone_raw = models.CharField("고객 번호(입력값)", max_length=64, blank=True)
    items = models.JSONField("주문 상품", default=list)
    total_price = models.PositiveIntegerField("금액(원)")
    status = models.CharField("상태", max_length=16, choices=OrderStatus.choices,
                              default=OrderStatus.RECEIVED)
    # The confirmation calls placed for this order, newest last (one retry at most).
    calls = models.ManyToManyField(Call, blank=True, related_name="orders",
                                   verbose_name="확인 전화")
    raw_body = models.BinaryField("받은 본문")
    received_at = models.DateTimeField("접수 시각", auto_now_add=True)

    class Meta:
        verbose_name = "주문"
        verbose_name_plural = "주문"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.order_id
