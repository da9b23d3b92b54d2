"""Django admin for staff: the call log, messages, and the raw webhook deliveries.

Everything here arrives from ClawOps, so staff read it and never edit it. The one write is
the operator's replay of stored deliveries after a fix (calls.intake.replay), which is also
available as ``python manage.py replay``.

The call list must stay fast on a large log: every column comes from the Call row itself
(no per-row lookups), the default ordering follows the ``call_log_order`` index, and the
unfiltered total is not counted twice (``show_full_result_count``).

How values are shown (Korean time, links, badges) is calls.admin_display, shared with the
integrations' admin; what the call page shows below the call's fields is calls.call_page.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from calls import delivery_preview, intake
from calls.admin_display import (
    PageContextAdmin,
    ReadOnlyAdmin,
    admin_link,
    alert,
    answered_by_text,
    duration_text,
    outcome_badge,
    preformatted,
    seoul_field,
)
from calls.admin_numbers import NumberSearchAdmin, phone_column
from calls.call_page import call_page_context
from calls.models import (
    Call,
    Message,
    MessageEvent,
    Outcome,
    Scheme,
    WebhookDelivery,
    missed_call_q,
)
from calls.phone import format_phone
from calls.vocabulary import Direction

# --- calls -------------------------------------------------------------------------------


class MissedFilter(admin.SimpleListFilter):
    title = "부재중"
    parameter_name = "missed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "부재중"), ("no", "부재중 아님")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(missed_call_q())
        if self.value() == "no":
            return queryset.exclude(missed_call_q())
        return queryset


@admin.register(Call)
class CallAdmin(NumberSearchAdmin, PageContextAdmin, ReadOnlyAdmin):
    list_display = (
        "started",
        "direction",
        "customer",
        "our_number",
        "status",
        "missed",
        "duration_display",
        "answered_by_display",
    )
    list_filter = (
        "direction",
        "status",
        MissedFilter,
        ("started_at", admin.DateFieldListFilter),
    )
    number_search_fields = ("from_number", "to_number")
    id_search_fields = ("call_id",)
    search_help_text = (
        "전화번호(010-1234-5678, +82 10 1234 5678, 01012345678, 일부 숫자) 또는 통화 ID"
    )
    fieldsets = (
        (None, {"fields": (
            "call_id", "direction", "customer", "our_number", "status", "missed",
            "duration_display", "answered_by_display", "hangup_cause", "hangup_source",
            "sip_response_code", "recording_url", "from_raw", "to_raw",
        )}),
        ("시각 (한국 시간)", {"fields": (
            "started", "initiated", "ringing", "answered", "ended",
        )}),
    )
    readonly_fields = (
        "customer", "our_number", "missed", "duration_display", "answered_by_display",
        "started", "initiated", "ringing", "answered", "ended",
    )

    started = seoul_field("started_at", "시작", "%Y-%m-%d %H:%M")
    initiated = seoul_field("initiated_at", "발신 시작")
    ringing = seoul_field("ringing_at", "벨 울림")
    answered = seoul_field("answered_at", "응답")
    ended = seoul_field("ended_at", "종료")

    customer = phone_column("customer_number", _("Customer number"))

    @admin.display(description="우리 번호")
    def our_number(self, call: Call) -> str:
        ours = call.from_number if call.direction == Direction.OUTBOUND else call.to_number
        return format_phone(ours) or "-"

    @admin.display(description="부재중")
    def missed(self, call: Call) -> str:
        if not call.is_missed:
            return ""
        return alert("부재중")

    @admin.display(description="통화 시간", ordering="duration")
    def duration_display(self, call: Call) -> str:
        return duration_text(call.duration)

    @admin.display(description="응답 주체", ordering="answered_by")
    def answered_by_display(self, call: Call) -> str:
        return answered_by_text(call.answered_by)

    def page_context(self, call: Call) -> dict[str, Any]:
        return call_page_context(call)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any,
                           obj: Call | None = None, **kwargs: Any) -> Any:
        response = super().render_change_form(request, context, *args, obj=obj, **kwargs)
        intake.record_transcript_view(request, obj, context)
        return response


# --- messages ----------------------------------------------------------------------------


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    fields = ("status", "occurred")
    readonly_fields = ("status", "occurred")
    extra = 0
    can_delete = False

    occurred = seoul_field("occurred_at", "발생 시각")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(NumberSearchAdmin, ReadOnlyAdmin):
    list_display = ("created", "direction", "from_display", "to_display", "status", "type",
                    "body_excerpt")
    list_filter = ("direction", "status", "type", ("created_at", admin.DateFieldListFilter))
    number_search_fields = ("from_number", "to_number")
    id_search_fields = ("message_id",)
    search_help_text = "전화번호(형식 무관, 일부 숫자 가능) 또는 메시지 ID"
    fields = ("message_id", "direction", "type", "status", "from_display", "to_display",
              "created", "subject", "body", "media_urls", "from_raw", "to_raw", "account_id")
    readonly_fields = ("from_display", "to_display", "created")
    inlines = (MessageEventInline,)

    created = seoul_field("created_at", "시각", "%Y-%m-%d %H:%M")

    from_display = phone_column("from_number", _("Sender number"), ordering="from_number")
    to_display = phone_column("to_number", _("Recipient number"), ordering="to_number")

    @admin.display(description="내용")
    def body_excerpt(self, message: Message) -> str:
        return Truncator(message.body).chars(40)



# --- webhook deliveries ------------------------------------------------------------------


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received", "scheme", "kind", "outcome_display", "call_link",
                    "error_excerpt")
    list_filter = ("outcome", "kind", "scheme", ("received_at", admin.DateFieldListFilter))
    # One join instead of a query per row for the call column.
    list_select_related = ("call",)
    search_fields = ("=call__call_id", "=message__message_id")
    search_help_text = "통화 ID 또는 메시지 ID"
    fields = ("received", "scheme", "kind", "outcome_display", "error_display", "call_link",
              "message_link", "replayed", "url", "content_type", "headers_display",
              "fields_display", "body_display")
    readonly_fields = fields
    actions = ("replay",)

    def get_changelist_instance(self, request: HttpRequest):
        # The list shows no bodies; a page of 100 must not read up to 100 × 256 KiB.
        changelist = super().get_changelist_instance(request)
        changelist.result_list = changelist.result_list.defer("body")
        return changelist

    received = seoul_field("received_at", "수신 시각")
    replayed = seoul_field("replayed_at", "재처리 시각")

    @admin.display(description="처리 결과", ordering="outcome")
    def outcome_display(self, delivery: WebhookDelivery) -> str:
        return outcome_badge(delivery.outcome)

    @admin.display(description="통화")
    def call_link(self, delivery: WebhookDelivery) -> str:
        return admin_link(delivery.call, delivery.call.call_id if delivery.call else None)

    @admin.display(description="문자")
    def message_link(self, delivery: WebhookDelivery) -> str:
        return admin_link(delivery.message)

    @admin.display(description="오류")
    def error_excerpt(self, delivery: WebhookDelivery) -> str:
        # The last line of a traceback says what went wrong; the rest is on the page.
        lines = delivery.error.strip().splitlines()
        return Truncator(lines[-1]).chars(100) if lines else ""

    @admin.display(description="오류")
    def error_display(self, delivery: WebhookDelivery) -> str:
        return preformatted(delivery.error) if delivery.error else "-"

    @admin.display(description="헤더")
    def headers_display(self, delivery: WebhookDelivery) -> str:
        return preformatted(json.dumps(delivery.headers, ensure_ascii=False, indent=2))

    @admin.display(description="본문 (해석)")
    def fields_display(self, delivery: WebhookDelivery) -> str:
        """The body as fields: form bodies are percent-encoded, unreadable in Korean."""
        return preformatted(delivery_preview.fields_text(
            bytes(delivery.body), is_form=delivery.scheme == Scheme.X_SIGNATURE))

    @admin.display(description="본문 (원문)")
    def body_display(self, delivery: WebhookDelivery) -> str:
        return delivery_preview.body_preview(delivery)

    def get_urls(self) -> list[URLPattern]:
        download = path("<int:pk>/body/", self.admin_site.admin_view(self.body_download),
                        name="calls_webhookdelivery_body")
        return [download, *super().get_urls()]

    def body_download(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The raw bytes as they arrived, for staff who may see deliveries."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return delivery_preview.body_download(get_object_or_404(WebhookDelivery, pk=pk))

    @admin.action(description="선택한 웹훅 재처리", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        # Oldest first, as they arrived (the merge is order-proof; the log reads better).
        outcomes: Counter[str] = Counter()
        for delivery in queryset.order_by("received_at", "id"):
            outcomes[intake.replay(delivery)] += 1
            intake.record_audit(request.user, "replay", delivery)
        counts = ", ".join(
            f"{outcome.label} {outcomes[outcome]}건" for outcome in Outcome if outcomes[outcome]
        )
        level = messages.WARNING if outcomes[Outcome.FAILED] else messages.SUCCESS
        self.message_user(request, f"{outcomes.total()}건 재처리: {counts}", level)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # Replaying writes to the call log: viewing deliveries is not enough.
        return request.user.has_perm("calls.change_webhookdelivery")
