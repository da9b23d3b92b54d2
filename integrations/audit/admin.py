"""The audit trail in admin: read-only, for administrators (the view permission)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from integrations.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "who", "action", "subject", "detail")
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    search_fields = ("username", "subject")
    readonly_fields = ("at", "user", "username", "action", "subject", "detail")
    show_full_result_count = False

    @admin.display(description=_("user"), ordering="username")
    def who(self, entry: AuditEntry) -> str:
        return entry.username or _("(command line)")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
