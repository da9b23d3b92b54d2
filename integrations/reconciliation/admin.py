"""What reconciliation recovered, and the deliveries ClawOps gave up on, in admin (read-only;
administrators have the view permissions, the front desk does not)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from calls.admin_display import ReadOnlyAdmin
from calls.models import Call, Message
from integrations.reconciliation.models import FailedClawOpsDelivery, RecoveredItem


@admin.register(RecoveredItem)
class RecoveredItemAdmin(ReadOnlyAdmin):
    list_display = ("recovered_at", "source", "kind", "reference_link", "status_before",
                    "status_after")
    list_filter = ("source", "kind")
    search_fields = ("reference",)

    @admin.display(description=_("ClawOps id"), ordering="reference")
    def reference_link(self, item: RecoveredItem) -> str:
        if item.call_id:
            url = reverse("admin:calls_call_change", args=[item.call_id])
        elif item.message_id:
            url = reverse("admin:calls_message_change", args=[item.message_id])
        else:
            return item.reference
        return format_html('<a href="{}">{}</a>', url, item.reference)


@admin.register(FailedClawOpsDelivery)
class FailedClawOpsDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event", "reference", "response_status", "attempts",
                    "now_known")
    list_filter = ("event",)
    search_fields = ("reference", "log_id")

    @admin.display(description=_("attempts"))
    def attempts(self, failure: FailedClawOpsDelivery) -> str:
        return f"{failure.attempt}/{failure.max_attempts}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[FailedClawOpsDelivery]:
        # Asked in the list's one query, not two queries per row.
        return super().get_queryset(request).annotate(
            call_known=Exists(Call.objects.filter(call_id=OuterRef("reference"))),
            message_known=Exists(Message.objects.filter(message_id=OuterRef("reference"))),
        )

    @admin.display(description=_("in clawsite now"), boolean=True)
    def now_known(self, failure: FailedClawOpsDelivery) -> bool | None:
        """Whether what the delivery was about reached clawsite anyway (reconciliation or a
        later delivery): a failure still False needs a look."""
        if not failure.reference:
            return None
        return failure.call_known or failure.message_known
