"""API keys in admin: which exist, whose they are, when each was last used; revoke.

Keys are made by ``manage.py create_api_key`` (the only moment a key is shown), so admin
adds none and changes nothing but the revocation.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.api import keys
from integrations.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "clinic", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("clinic", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("clinic",)
    search_fields = ("name", "prefix")
    fields = ("name", "clinic", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = keys.revoke(queryset)
        self.message_user(request, ngettext(
            "%(count)d key revoked: requests with it are refused from now on.",
            "%(count)d keys revoked: requests with them are refused from now on.",
            revoked) % {"count": revoked}, messages.SUCCESS)
