"""Staff callbacks in admin: the requests list and the "call back" confirmation page.

``/admin/integrations/callbackrequest/new/?call=<pk>`` shows the number that will be called
and the call it answers; confirming (a POST with the CSRF token) writes the request and its
ledger job (integrations.callbacks.callback_calls). Only users with
``integrations.place_callback`` may see or confirm it; the call page links to it through the
``callback_panel`` template tag.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls import labels
from calls.admin_display import ReadOnlyAdmin, admin_link, seoul_field, seoul_time
from calls.admin_numbers import NumberSearchAdmin, phone_column
from calls.models import Call
from calls.phone import format_phone
from integrations import audit
from integrations.callbacks import callback_calls
from integrations.jobs import integration_status, kinds, reasons
from integrations.jobs.display import state_text
from integrations.models import CallbackRequest, Job


def new_url(call: Call) -> str:
    return reverse("admin:integrations_callbackrequest_new") + f"?call={call.pk}"


def confirm_callback(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    """GET: what will happen. POST: do it, then back to the call's page."""
    if not request.user.has_perm(callback_calls.PERMISSION):
        raise PermissionDenied(gettext("You may not call customers back "
                                       "(integrations.place_callback)."))
    call_pk = request.POST.get("call") or request.GET.get("call") or ""
    if not call_pk.isdigit():
        raise Http404(gettext("Name a call (?call=number)."))
    call = Call.objects.filter(pk=int(call_pk)).first()
    if call is None:
        raise Http404(_("There is no such call."))
    number = callback_calls.number_to_call(call)
    call_page = reverse("admin:calls_call_change", args=[call.pk])

    # While call-backs are off the job would only be recorded as skipped: nothing is
    # requested, and the page says why.
    nothing_sent = integration_status.nothing_sent("callbacks")
    if request.method == "POST" and number and not nothing_sent:
        callback, created = callback_calls.request_callback(call, request.user)
        if created:
            audit.record(request.user, "callback", call, detail=f"call-back request #{callback.pk}")
            messages.success(request, gettext(
                "Calling %(number)s back. The result appears under 'Call back' on this page."
            ) % {"number": format_phone(number)})
        else:
            messages.warning(request, gettext(
                "A call-back (#%(pk)d) is already waiting, so no new one was made."
            ) % {"pk": callback.pk})
        return HttpResponseRedirect(call_page)

    opts = CallbackRequest._meta
    context = {
        **admin_site.each_context(request),
        "title": _("Call the customer back"),
        "opts": opts,
        "call": call,
        "call_page": call_page,
        "call_status": labels.call_status_text(call.status),
        "call_started": seoul_time(call.started_at),
        "call_direction": call.get_direction_display() or "-",
        "number": format_phone(number) if number else "",
        "raw_number": format_phone(call.customer_number) or _("Unknown"),
        "waiting": callback_calls.open_request(call),
        "nothing_sent": nothing_sent,
    }
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "admin/integrations/callbackrequest/confirm.html",
                            context, status=status)


def _job_subject() -> Concat:
    return Concat(Value("callback:"), Cast(OuterRef("pk"), CharField()))


@admin.register(CallbackRequest)
class CallbackRequestAdmin(NumberSearchAdmin, ReadOnlyAdmin):
    """Requests start from a call (confirm_callback), never from the add page."""

    list_display = ("requested", "original_call", "number_display", "requested_by",
                    "job_state", "placed_call_link", "placed_call_status", "again")
    list_select_related = ("call", "placed_call", "requested_by")
    number_search_fields = ("number",)
    id_search_fields = ("call__call_id",)
    search_help_text = _("Phone number (any format, or part of it) or the original call's ID")
    fields = ("requested", "original_call", "number_display", "requested_by", "job_state",
              "job_error", "placed_call_link", "placed_call_status")
    readonly_fields = fields

    def get_urls(self) -> list[URLPattern]:
        # Before the defaults: "<path:object_id>/" would otherwise take "new/".
        new = path("new/", self.admin_site.admin_view(
            lambda request: confirm_callback(request, self.admin_site)),
            name="integrations_callbackrequest_new")
        return [new, *super().get_urls()]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackRequest]:
        jobs = Job.objects.filter(kind=kinds.CALLBACK_CALL, subject=_job_subject())
        return super().get_queryset(request).annotate(
            job_state_value=Subquery(jobs.values("state")[:1]),
            job_error_value=Subquery(jobs.values("last_error")[:1]),
        )

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        shown = tuple(super().get_list_display(request))
        if request.user.has_perm(callback_calls.PERMISSION):
            return shown
        return tuple(name for name in shown if name != "again")

    requested = seoul_field("requested_at", _("Requested at"))

    @admin.display(description=_("Original call"))
    def original_call(self, obj: CallbackRequest) -> str:
        return admin_link(obj.call, f"{obj.call.call_id} ({seoul_time(obj.call.started_at)})")

    number_display = phone_column("number", _("Number to call"), ordering="number")

    @admin.display(description=_("Job status"))
    def job_state(self, obj: CallbackRequest) -> str:
        return state_text(getattr(obj, "job_state_value", None), kinds.CALLBACK_CALL)

    @admin.display(description=_("Job error"))
    def job_error(self, obj: CallbackRequest) -> str:
        return reasons.reason_text(getattr(obj, "job_error_value", "") or "") or "-"

    @admin.display(description=_("Placed call"))
    def placed_call_link(self, obj: CallbackRequest) -> str:
        return admin_link(obj.placed_call, obj.placed_call.call_id if obj.placed_call else None)

    @admin.display(description=_("Call result"))
    def placed_call_status(self, obj: CallbackRequest) -> str:
        return labels.call_status_text(obj.placed_call.status) if obj.placed_call else "-"

    @admin.display(description="")
    def again(self, obj: CallbackRequest) -> str:
        return format_html('<a href="{}">{}</a>', new_url(obj.call), gettext("Call again"))
