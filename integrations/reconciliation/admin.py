"""What reconciliation recovered, and the deliveries ClawOps gave up on, in admin (read-only;
administrators have the view permissions, the front desk does not)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from calls.models import Call, Message
from integrations.reconciliation.models import FailedClawOpsDelivery, RecoveredItem


class ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(RecoveredItem)
class RecoveredItemAdmin(ReadOnly):
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
class FailedClawOpsDeliveryAdmin(ReadOnly):
    list_display = ("created_at", "event", "reference", "response_status", "attempts",
                    "now_known")
    list_filter = ("event",)
    search_fields = ("reference", "log_id")

    @admin.display(description=_("attempts"))
    def attempts(self, failure: FailedClawOpsDelivery) -> str:
        return f"{failure.attempt}/{failure.max_attempts}"

    @admin.display(description=_("in clawsite now"), boolean=True)
    def now_known(self, failure: FailedClawOpsDelivery) -> bool | None:
        """Whether what the delivery was about reached clawsite anyway (reconciliation or a
        later delivery): a failure still False needs a look."""
        if not failure.reference:
            return None
        return (Call.objects.filter(call_id=failure.reference).exists()
                or Message.objects.filter(message_id=failure.reference).exists())
