"""How the staff admin shows things, shared by every admin module (calls and integrations).

Times are stored in UTC and read in Korean time; links go to a row's admin page; what needs a
person stands out in red. ReadOnlyAdmin and PageContextAdmin are the two admin shapes the
ModelAdmins here are built from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import DateTimeField, Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls.admin_lists import LargeListAdmin
from calls.models import Outcome

NONE_YET = _("Nothing yet")
# The one way a date and time is written, in both languages (clawsite/formats/ says the same
# to Django's own fields); a time of day alone is TIME_OF_DAY.
DATE_TIME = "%Y-%m-%d %H:%M"
TIME_OF_DAY = "%H:%M:%S"


def seoul_time(value: datetime | None, fmt: str = DATE_TIME) -> str:
    """Stored in UTC, read in Korean time (settings.TIME_ZONE is Asia/Seoul).

    A moment so near the end of the calendar that Korean time would overflow it (a row
    stored before timestamps were bounded) is shown in UTC, marked so, instead of failing
    the whole page."""
    if not value:
        return "-"
    try:
        return timezone.localtime(value).strftime(fmt)
    except OverflowError:
        return f"{value.strftime(fmt)} UTC"


def seoul_field(field: str, label: str, fmt: str = DATE_TIME) -> Callable[..., str]:
    """An admin column or read-only field showing a datetime field in Korean time."""

    @admin.display(description=label, ordering=field)
    def show(self: admin.ModelAdmin, obj: Model) -> str:
        return seoul_time(getattr(obj, field), fmt)

    return show


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    return gettext("%(seconds)s s") % {"seconds": rest}


def admin_link(obj: Model | None, text: str | None = None) -> str:
    if obj is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


def alert(text: str) -> SafeString:
    """What needs a person: made to stand out in a list."""
    return format_html('<strong class="cs-alert">{}</strong>', text)


def outcome_badge(outcome: str) -> str:
    label = Outcome(outcome).label if outcome in Outcome.values else outcome
    # A failed delivery is the one outcome that needs a person.
    return alert(label) if outcome == Outcome.FAILED else label


def preformatted(text: str) -> SafeString:
    return format_html('<pre class="cs-pre">{}</pre>', text)


class SeoulTimesAdmin(admin.ModelAdmin):
    """Datetime fields in ``list_display``, ``readonly_fields`` and the change page are shown
    through ``seoul_time``: Django's own rendering converts to local time and fails the whole
    page on a moment at the edge of the calendar. Each is shown by a ``<name>_in_seoul``
    column the admin adds for it."""

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        self._seoul_names = {
            field.name: f"{field.name}_in_seoul"
            for field in model._meta.fields if isinstance(field, DateTimeField)
        }
        for name, shown in self._seoul_names.items():
            setattr(self, shown, seoul_field(name, model._meta.get_field(name).verbose_name)
                    .__get__(self))

    def _in_seoul(self, names: Iterable[Any]) -> list[Any]:
        shown = [self._seoul_names.get(name, name) if isinstance(name, str) else name
                 for name in names]
        return list(dict.fromkeys(shown))

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return self._in_seoul(super().get_list_display(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        # The field itself stays read-only (kept out of the form); its column shows it.
        names = list(super().get_readonly_fields(request, obj))
        return names + [self._seoul_names[name] for name in names if name in self._seoul_names]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        return self._in_seoul(super().get_fields(request, obj))


class ReadOnlyAdmin(LargeListAdmin):
    """Viewable, never added, edited or deleted here: what ClawOps (or the shop) reported is
    a record, not a draft."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PageContextAdmin(admin.ModelAdmin):
    """A change page that shows more than the object's fields: its change_form.html template
    reads what ``page_context(obj)`` returns (not called on the add page)."""

    def page_context(self, obj: Any) -> dict[str, Any]:
        return {}

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> Any:
        if obj is not None:
            context.update(self.page_context(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)
