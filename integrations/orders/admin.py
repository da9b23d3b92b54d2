"""Shop orders in admin (S2): the order as the shop sent it, its confirmation calls, their
jobs, and what was said on the call that reached the customer.

Orders come from the shop, so staff read them and never edit them here.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from calls import labels
from calls.admin_display import (
    PageContextAdmin,
    ReadOnlyAdmin,
    admin_link,
    alert,
    duration_text,
    preformatted,
    seoul_field,
    seoul_time,
)
from calls.admin_numbers import NumberSearchAdmin, phone_column
from calls.call_page import transcript_summary_context
from calls.models import Call
from integrations import audit
from integrations.formatting import order_items
from integrations.jobs import kinds, reasons
from integrations.jobs.display import state_text
from integrations.models import Job, JobState, Order, OrderStatus
from integrations.orders import confirmation_calls


def status_badge(status: str) -> str:
    label = OrderStatus(status).label if status in OrderStatus.values else status
    # The outcomes that need a person.
    return alert(label) if status in (OrderStatus.NOT_REACHED, OrderStatus.FAILED) else label


@admin.register(Order)
class OrderAdmin(NumberSearchAdmin, PageContextAdmin, ReadOnlyAdmin):
    list_display = ("received", "order_id", "customer_name", "phone", "amount",
                    "status_display", "call_count")
    list_filter = ("status", ("received_at", admin.DateFieldListFilter))
    number_search_fields = ("customer_phone",)
    id_search_fields = ("order_id",)
    text_search_fields = ("customer_name",)
    search_help_text = _("Order number, customer name or phone number (any format)")
    fields = ("order_id", "received", "status_display", "customer_name", "phone",
              "customer_phone_raw", "items_display", "amount", "body_display")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).annotate(call_total=Count("calls"))

    received = seoul_field("received_at", _("Ordered at"))

    phone = phone_column("customer_phone", _("Customer number"), ordering="customer_phone")

    @admin.display(description=_("Amount"), ordering="total_price")
    def amount(self, order: Order) -> str:
        # formatting.won is the customer's Korean; staff read the amount in their language.
        return gettext("%(amount)s won") % {"amount": f"{order.total_price:,}"}

    @admin.display(description=_("Status"), ordering="status")
    def status_display(self, order: Order) -> str:
        return status_badge(order.status)

    @admin.display(description=_("Confirmation calls"), ordering="call_total")
    def call_count(self, order: Order) -> str:
        total = getattr(order, "call_total", None)
        return ngettext("%(count)d call", "%(count)d calls", total) % {"count": total} \
            if total else "-"

    @admin.display(description=_("Items"))
    def items_display(self, order: Order) -> str:
        return order_items(order.items) or "-"

    @admin.display(description=_("Body received"))
    def body_display(self, order: Order) -> str:
        raw = bytes(order.raw_body)
        try:
            text = json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
        except ValueError:
            text = raw.decode("utf-8", errors="replace")
        return preformatted(text)

    def page_context(self, order: Order) -> dict[str, Any]:
        return order_page_context(order)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any,
                           obj: Order | None = None, **kwargs: Any) -> Any:
        response = super().render_change_form(request, context, *args, obj=obj, **kwargs)
        audit.record_transcript_view(request, context.get("answered_call"), context)
        return response


def order_page_context(order: Order) -> dict[str, Any]:
    """What templates/admin/integrations/order/change_form.html shows below the fields."""
    placed = _placed_calls(order)
    jobs = Job.objects.filter(kind=kinds.ORDER_CONFIRMATION_CALL,
                              subject__startswith=confirmation_calls.subject_prefix(order.order_id))
    answered = next((call for call in placed if confirmation_calls.reached(call)), None)
    context: dict[str, Any] = {
        "order_calls": [
            {
                "attempt": attempt,
                "link": admin_link(call, call.call_id),
                "started": seoul_time(call.started_at),
                "status": labels.call_status_text(call.status),
                "answered_by": labels.answered_by_text(call.answered_by),
                "duration": duration_text(call.duration),
                "reached": confirmation_calls.reached(call),
            }
            for attempt, call in enumerate(placed, start=1)
        ],
        "order_jobs": [
            {
                "link": format_html('<a href="{}">{}</a>',
                                    reverse("admin:integrations_job_change", args=[job.pk]),
                                    job.subject),
                "state": state_text(job.state, job.kind),
                "attempts": job.attempts,
                "next_attempt": (seoul_time(job.next_attempt_at)
                                 if job.state == JobState.PENDING else "-"),
                "error": reasons.reason_text(job.last_error)[:300],
            }
            for job in jobs.order_by("created_at", "id")
        ],
        "answered_call": answered,
    }
    if answered is not None:
        context.update(transcript_summary_context(answered))
    return context


def _placed_calls(order: Order) -> list[Call]:
    """The order's calls in the order they were placed (the link rows' ids)."""
    through = Order.calls.through.objects.filter(order_id=order.pk).select_related("call")
    return [link.call for link in through.order_by("pk")]
