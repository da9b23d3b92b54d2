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
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls import delivery_preview, intake, labels
from calls.admin_display import (
    PageContextAdmin,
    ReadOnlyAdmin,
    admin_link,
    alert,
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
    answered_call_q,
    missed_call_q,
)
from calls.phone import format_phone
from calls.vocabulary import Direction

# --- calls -------------------------------------------------------------------------------


class MissedFilter(admin.SimpleListFilter):
    title = _("Missed")
    parameter_name = "missed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", _("Missed")), ("no", _("Not missed")), ("answered", _("Answered"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(missed_call_q())
        if self.value() == "no":
            return queryset.exclude(missed_call_q())
        if self.value() == "answered":
            return queryset.filter(answered_call_q())
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
    search_help_text = _(
        "Phone number (010-1234-5678, +82 10 1234 5678, 01012345678, or some of its digits) "
        "or call ID"
    )
    # The call page leads with who, when and what was said (templates/admin/calls/call/
    # change_form.html); the call's own fields are the technical details, folded away.
    fieldsets = (
        (_("Technical details"), {"classes": ("collapse",), "fields": (
            "call_id", "direction", "customer", "our_number", "status", "missed",
            "duration_display", "answered_by_display", "hangup_cause_display",
            "hangup_source_display", "sip_response_code", "recording_url", "from_raw", "to_raw",
        )}),
        (_("Times (Korean time)"), {"classes": ("collapse",), "fields": (
            "started", "initiated", "ringing", "answered", "ended",
        )}),
    )
    readonly_fields = (
        "customer", "our_number", "missed", "duration_display", "answered_by_display",
        "hangup_cause_display", "hangup_source_display",
        "started", "initiated", "ringing", "answered", "ended",
    )

    started = seoul_field("started_at", _("Started"))
    initiated = seoul_field("initiated_at", _("Initiated"))
    ringing = seoul_field("ringing_at", _("Ringing"))
    answered = seoul_field("answered_at", _("Answered"))
    ended = seoul_field("ended_at", _("Ended"))

    customer = phone_column("customer_number", _("Customer number"))

    @admin.display(description=_("Our number"))
    def our_number(self, call: Call) -> str:
        ours = call.from_number if call.direction == Direction.OUTBOUND else call.to_number
        return format_phone(ours) or "-"

    @admin.display(description=_("Missed"))
    def missed(self, call: Call) -> str:
        if not call.is_missed:
            return ""
        return alert(_("Missed"))

    @admin.display(description=_("Duration"), ordering="duration")
    def duration_display(self, call: Call) -> str:
        return duration_text(call.duration)

    @admin.display(description=_("Answered by"), ordering="answered_by")
    def answered_by_display(self, call: Call) -> str:
        return labels.answered_by_text(call.answered_by)

    @admin.display(description=_("Hang-up cause"))
    def hangup_cause_display(self, call: Call) -> str:
        return labels.hangup_cause_text(call.hangup_cause)

    @admin.display(description=_("Hung up by"))
    def hangup_source_display(self, call: Call) -> str:
        return labels.hangup_source_text(call.hangup_source)

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

    occurred = seoul_field("occurred_at", _("Occurred at"))

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class MessageTypeFilter(admin.SimpleListFilter):
    """The kinds ClawOps sends (contract: sms, lms, mms), listed without reading the table
    for its distinct values."""

    title = _("Kind")
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [(kind, kind.upper()) for kind in ("sms", "lms", "mms")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Message)
class MessageAdmin(NumberSearchAdmin, ReadOnlyAdmin):
    list_display = ("created", "direction", "from_display", "to_display", "status", "type",
                    "body_excerpt")
    list_filter = ("direction", "status", MessageTypeFilter,
                   ("created_at", admin.DateFieldListFilter))
    number_search_fields = ("from_number", "to_number")
    id_search_fields = ("message_id",)
    text_search_fields = ("body",)
    search_help_text = _("Phone number (any format, or some of its digits), message ID or "
                         "words of the text")
    fields = ("message_id", "direction", "type", "status", "from_display", "to_display",
              "created", "subject", "body", "media_urls", "from_raw", "to_raw", "account_id")
    readonly_fields = ("from_display", "to_display", "created")
    inlines = (MessageEventInline,)

    created = seoul_field("created_at", _("Time"))

    from_display = phone_column("from_number", _("Sender number"), ordering="from_number")
    to_display = phone_column("to_number", _("Recipient number"), ordering="to_number")

    @admin.display(description=_("Text"))
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
    search_help_text = _("Call ID or message ID")
    fields = ("received", "scheme", "kind", "outcome_display", "error_display", "call_link",
              "message_link", "replayed", "url", "content_type", "headers_display",
              "fields_display", "body_display")
    readonly_fields = fields
    actions = ("replay",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The id is looked up in its own table first: an OR across the two joined tables
        # would read every delivery.
        term = search_term.strip()
        if not term:
            return queryset, False
        calls = list(Call.objects.filter(call_id=term).values_list("pk", flat=True))
        sms = list(Message.objects.filter(message_id=term).values_list("pk", flat=True))
        return queryset.filter(Q(call__in=calls) | Q(message__in=sms)), False

    def get_changelist_instance(self, request: HttpRequest):
        # The list shows no bodies; a page of 100 must not read up to 100 × 256 KiB.
        changelist = super().get_changelist_instance(request)
        changelist.result_list = changelist.result_list.defer("body")
        return changelist

    received = seoul_field("received_at", _("Received at"))
    replayed = seoul_field("replayed_at", _("Replayed at"))

    @admin.display(description=_("Outcome"), ordering="outcome")
    def outcome_display(self, delivery: WebhookDelivery) -> str:
        return outcome_badge(delivery.outcome)

    @admin.display(description=_("Call"))
    def call_link(self, delivery: WebhookDelivery) -> str:
        return admin_link(delivery.call, delivery.call.call_id if delivery.call else None)

    @admin.display(description=_("Text message"))
    def message_link(self, delivery: WebhookDelivery) -> str:
        return admin_link(delivery.message)

    @admin.display(description=_("Error"))
    def error_excerpt(self, delivery: WebhookDelivery) -> str:
        # The last line of a traceback says what went wrong; the rest is on the page.
        lines = delivery.error.strip().splitlines()
        return Truncator(lines[-1]).chars(100) if lines else ""

    @admin.display(description=_("Error"))
    def error_display(self, delivery: WebhookDelivery) -> str:
        return preformatted(delivery.error) if delivery.error else "-"

    @admin.display(description=_("Headers"))
    def headers_display(self, delivery: WebhookDelivery) -> str:
        return preformatted(json.dumps(delivery.headers, ensure_ascii=False, indent=2))

    @admin.display(description=_("Body (read)"))
    def fields_display(self, delivery: WebhookDelivery) -> str:
        """The body as fields: form bodies are percent-encoded, unreadable in Korean."""
        return preformatted(delivery_preview.fields_text(
            bytes(delivery.body), is_form=delivery.scheme == Scheme.X_SIGNATURE))

    @admin.display(description=_("Body (raw)"))
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

    @admin.action(description=_("Replay selected deliveries"), permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        # Oldest first, as they arrived (the merge is order-proof; the log reads better).
        outcomes: Counter[str] = Counter()
        for delivery in queryset.order_by("received_at", "id"):
            outcomes[intake.replay(delivery)] += 1
            intake.record_audit(request.user, "replay", delivery)
        counts = ", ".join(
            gettext("%(outcome)s %(count)d")
            % {"outcome": outcome.label, "count": outcomes[outcome]}
            for outcome in Outcome if outcomes[outcome]
        )
        level = messages.WARNING if outcomes[Outcome.FAILED] else messages.SUCCESS
        self.message_user(request, gettext("%(total)d replayed: %(counts)s")
                          % {"total": outcomes.total(), "counts": counts}, level)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # Replaying writes to the call log: viewing deliveries is not enough.
        return request.user.has_perm("calls.change_webhookdelivery")
