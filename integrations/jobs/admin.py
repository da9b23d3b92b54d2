"""The job ledger in admin: what ran, what failed and why, and "retry now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from calls.admin_display import SeoulTimesAdmin
from integrations import audit
from integrations.jobs import kinds, ledger
from integrations.models import Job, JobState


class KindFilter(admin.SimpleListFilter):
    title = "종류"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.name, kind.label) for kind in kinds.table().values()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(SeoulTimesAdmin):
    list_display = ("created_at", "kind_label", "subject", "call_link", "state", "attempts",
                    "next_attempt_at", "missed_call_count", "error_excerpt")
    list_filter = (KindFilter, "state")
    search_fields = ("subject", "group_key", "call__call_id")
    list_select_related = ("call",)
    show_full_result_count = False
    actions = ("retry_now",)
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.retry_job")

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # Say which integrations are off, so skipped jobs are never a mystery.
        for name, reason in kinds.integration_problems().items():
            messages.warning(request, f"{name} 연동이 꺼져 있습니다: {reason}")
        return super().changelist_view(request, extra_context)

    @admin.display(description="종류", ordering="kind")
    def kind_label(self, job: Job) -> str:
        return kinds.label(job.kind)

    @admin.display(description="통화")
    def call_link(self, job: Job) -> str:
        if job.call is None:
            return "—"
        url = reverse("admin:calls_call_change", args=[job.call_id])
        return format_html('<a href="{}">{}</a>', url, job.call.call_id)

    @admin.display(description="부재중 횟수")
    def missed_call_count(self, job: Job) -> int | str:
        if job.kind != kinds.SLACK_MISSED_CALL:
            return ""
        return len(job.payload.get("call_ids", []))

    @admin.display(description="마지막 오류")
    def error_excerpt(self, job: Job) -> str:
        return job.last_error[:120]

    @admin.action(description="지금 다시 시도", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        retried = 0
        for job in queryset.exclude(state=JobState.RUNNING):
            if ledger.reopen(job, reset_attempts=True):
                retried += 1
                audit.record(request.user, "retry_job", job)
        self.message_user(request, f"{retried}건을 다시 시도합니다.", messages.SUCCESS)
