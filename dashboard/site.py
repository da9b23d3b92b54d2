"""The staff's admin site: the day at a glance at /admin/, clawsite's apps before the task
queue and user accounts, and plain page titles.

It is Django's admin with four changes:

- ``index`` is the start page (dashboard.day for the figures, dashboard.charts for the
  pictures); the list of models follows it, and the sidebar is unchanged.
- clawsite's apps come first; the task queue (Django Q) and user accounts last. Who sees
  them is Django's permissions: setup_roles gives the task queue to 관리자, not to the
  front desk.
- The lists people take to Excel (calls, appointments, orders) get the action export_csv
  (dashboard/exports.py).
- Every ModelAdmin registered here gets PlainTitles: a list is titled "통화 목록" / "Calls"
  and a read-only page "통화 보기" / "Call" instead of Django's "보기위한 통화 를(을) 선택" and
  "뷰 통화" (its Korean catalogue, left alone).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext

# Shown after clawsite's own apps, in this order.
LAST_APPS = ("django_q", "auth")
# Django Q ships no Korean catalogue; its names as the sidebar and index show them, marked
# here so that clawsite's catalogue translates them (its own pages' columns stay English).
DJANGO_Q_NAMES = (
    gettext_noop("Failed task"), gettext_noop("Failed tasks"),
    gettext_noop("Queued task"), gettext_noop("Queued tasks"),
    gettext_noop("Scheduled task"), gettext_noop("Scheduled tasks"),
    gettext_noop("Successful task"), gettext_noop("Successful tasks"),
)


class PlainTitles(admin.ModelAdmin):
    """Titles that name what is shown: "<models> list", "<model> view"."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        title = pgettext("list page title", "%(models)s") % {
            "models": capfirst(self.model._meta.verbose_name_plural)}
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Any = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            context["title"] = pgettext("view page title", "%(model)s") % {
                "model": capfirst(self.model._meta.verbose_name)}
        return super().render_change_form(request, context, add=add, change=change,
                                          form_url=form_url, obj=obj)


class StaffAdminSite(admin.AdminSite):
    site_header = _("clawsite call desk")
    site_title = _("clawsite")
    index_title = _("Today")
    index_template = "admin/start.html"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        from dashboard.exports import EXPORTS, export_csv

        base = admin_class or admin.ModelAdmin
        models = (model_or_iterable if isinstance(model_or_iterable, list | tuple)
                  else [model_or_iterable])
        for model in models:
            attrs: dict[str, Any] = {"__module__": base.__module__}
            if model in EXPORTS:  # the CSV export, for lists people take to Excel
                attrs["actions"] = (*(base.actions or ()), "export_csv")
                attrs["export_csv"] = export_csv
            mixins = () if issubclass(base, PlainTitles) else (PlainTitles,)
            super().register(model, type(base.__name__, (*mixins, base), attrs), **options)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)

        def place(app: dict) -> int:
            label = app["app_label"]
            return LAST_APPS.index(label) + 1 if label in LAST_APPS else 0

        return sorted(apps, key=place)  # stable: Django's order within each group

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        from dashboard import charts, day

        today = day.the_day(request.user)
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "subtitle": None,
            "app_list": self.get_app_list(request),
            "day": today,
            "charts": charts.for_day(today),
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.index_template, context)
