"""The job ledger in admin: what ran, what failed and why, and "retry now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from calls.admin_display import SeoulTimesAdmin, seoul_field
from calls.admin_lists import LargeListAdmin
from calls.models import Call
from calls.phone import normalize_phone
from integrations import audit
from integrations.jobs import kinds, ledger, reasons
from integrations.jobs.display import state_text
from integrations.models import Job, JobState


class KindFilter(admin.SimpleListFilter):
    title = _("Kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.name, kind.label) for kind in kinds.table().values()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(SeoulTimesAdmin, LargeListAdmin):
    change_list_template = "admin/integrations/job/change_list.html"
    list_display = ("created", "kind_label", "state_display", "subject", "call_link",
                    "attempts", "next_attempt", "missed_call_count", "error_excerpt")
    list_filter = (KindFilter, "state")
    # The search itself is get_search_results; a search field makes the box appear.
    search_fields = ("subject",)
    search_help_text = _("Exactly a subject (a call ID, say), a caller's number or a call ID")
    list_select_related = ("call",)
    actions = ("retry_now",)
    readonly_fields = [field.name for field in Job._meta.fields]

    created = seoul_field("created_at", _("Created"))
    next_attempt = seoul_field("next_attempt_at", _("Next attempt"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # Exact matches through indexes: a partial match would read every job.
        term = search_term.strip()
        if not term:
            return queryset, False
        calls = list(Call.objects.filter(call_id=term).values_list("pk", flat=True))
        found = Q(subject=term) | Q(group_key=normalize_phone(term)) | Q(call__in=calls)
        return queryset.filter(found), False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.retry_job")

    @admin.display(description=_("Kind"), ordering="kind")
    def kind_label(self, job: Job) -> str:
        return kinds.label(job.kind)

    @admin.display(description=_("Status"), ordering="state")
    def state_display(self, job: Job) -> str:
        return state_text(job.state, job.kind)

    @admin.display(description=_("Call"))
    def call_link(self, job: Job) -> str:
        if job.call is None:
            return "—"
        url = reverse("admin:calls_call_change", args=[job.call_id])
        return format_html('<a href="{}">{}</a>', url, job.call.call_id)

    @admin.display(description=_("Missed calls"))
    def missed_call_count(self, job: Job) -> int | str:
        if job.kind != kinds.SLACK_MISSED_CALL:
            return ""
        return len(job.payload.get("call_ids", []))

    @admin.display(description=_("Last error"))
    def error_excerpt(self, job: Job) -> str:
        return reasons.reason_text(job.last_error)[:120]

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        retried = 0
        for job in queryset.exclude(state=JobState.RUNNING):
            if ledger.reopen(job, reset_attempts=True):
                retried += 1
                audit.record(request.user, "retry_job", job)
        self.message_user(request, ngettext("Retrying %(count)d job.",
                                            "Retrying %(count)d jobs.", retried)
                          % {"count": retried}, messages.SUCCESS)
