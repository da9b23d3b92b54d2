"""The front desk's admin for clinic reminders (S4): clinics, appointments with the progress
of their reminders, the CSV import of a day's appointments.

The appointment list's columns are in admin_list.py, opt-outs and replies in
admin_replies.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from calls.admin_display import PageContextAdmin, admin_link, seoul_time
from calls.admin_numbers import NumberSearchAdmin, korean_number_value, phone_column
from calls.phone import format_phone
from integrations import audit
from integrations.clinics import booking_window, csv_import, reminders, spreadsheets
from integrations.clinics.admin_list import (
    DayFilter,
    call_progress,
    final_progress,
    sms_progress,
    with_reminder_progress,
)
from integrations.jobs import integration_status
from integrations.models import (
    AnswerChannel,
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    ReplyIntent,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOT_YET = "-"


# --- clinics -----------------------------------------------------------------------------


class ClinicForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = "__all__"
        help_texts: ClassVar[dict[str, str]] = {
            "quiet_start": _("From this time to the end time no SMS or call is sent "
                             "(Korean time)."),
            "quiet_end": _("The same as the start means no quiet hours."),
        }

    def clean_phone(self) -> str:
        return korean_number_value(self.cleaned_data["phone"])

    def clean_from_number(self) -> str:
        return korean_number_value(self.cleaned_data["from_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lead, delay = data.get("reminder_lead_minutes"), data.get("escalation_delay_minutes")
        notice = settings.REMINDER_MIN_NOTICE_MINUTES
        # reminders.why_not_now skips anything later than this before the appointment, so
        # a setting past it would plan reminders that are always skipped.
        if lead is not None and delay is not None and lead - delay < notice:
            self.add_error("escalation_delay_minutes", gettext(
                "The call would come %(minutes)d minutes before the appointment and would "
                "always be skipped as too late. 'Reminder SMS (minutes before)' minus this "
                "value must be at least %(notice)d minutes."
            ) % {"minutes": lead - delay, "notice": notice})
        return data


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    form = ClinicForm
    list_display = ("name", "phone_display", "from_display", "lead", "delay", "quiet_hours",
                    "quiet_hours_policy")
    search_fields = ("name",)

    # Short headers: the form's long labels would push the list past 1280 px.
    @admin.display(description=_("SMS, min before"), ordering="reminder_lead_minutes")
    def lead(self, clinic: Clinic) -> int:
        return clinic.reminder_lead_minutes

    @admin.display(description=_("Call, min after SMS"), ordering="escalation_delay_minutes")
    def delay(self, clinic: Clinic) -> int:
        return clinic.escalation_delay_minutes

    phone_display = phone_column("phone", _("Number for changes"), ordering="phone")
    from_display = phone_column("from_number", _("Sending number"), ordering="from_number")

    @admin.display(description=_("Quiet hours"))
    def quiet_hours(self, clinic: Clinic) -> str:
        if clinic.quiet_start == clinic.quiet_end:
            return _("None")
        return f"{clinic.quiet_start:%H:%M}–{clinic.quiet_end:%H:%M}"


# --- appointments ------------------------------------------------------------------------


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ("clinic", "patient_name", "phone", "starts_at")
        help_texts: ClassVar[dict[str, str]] = {
            "phone": _("010-1234-5678 and +82 10 1234 5678 both work."),
            "starts_at": _("Korean time. Changing it sends the reminder SMS and call again for "
                           "the new time."),
        }

    def clean_phone(self) -> str:
        self.phone_raw = self.cleaned_data["phone"]  # kept beside the normalised number
        return korean_number_value(self.phone_raw)

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        moved = self.instance.pk is None or "starts_at" in self.changed_data
        problem = booking_window.why_not_bookable(starts_at, timezone.now()) if moved else ""
        if problem:
            raise forms.ValidationError(booking_window.MESSAGES[problem])
        return starts_at


@admin.register(Appointment)
class AppointmentAdmin(NumberSearchAdmin, PageContextAdmin):
    form = AppointmentForm
    change_list_template = "admin/integrations/appointment/change_list.html"
    list_display = ("patient_name", "clinic", "starts", "phone_display", "status",
                    "sms_column", "call_column", "final_column")
    list_filter = (DayFilter, "clinic", "status")
    list_select_related = ("clinic", "reminder_message", "reminder_call")
    number_search_fields = ("phone",)
    id_search_fields = ("external_id",)
    text_search_fields = ("patient_name",)
    search_help_text = _("Patient name, phone number (any format, or some of its digits) or "
                         "booking system ID")
    show_full_result_count = False
    actions = ("send_reminder_now", "mark_confirmed", "mark_cancelled")
    # The booking system's id is the API's to set (integrations/api): shown, never edited.
    readonly_fields = ("external_id", "status", "staff_note", "cycle", "phone_raw", "sms_column",
                       "call_column", "final_column", "message_link", "call_link", "jobs_link")
    fieldsets = (
        (None, {"fields": ("clinic", "patient_name", "phone", "phone_raw", "starts_at",
                           "external_id")}),
        (_("Status"), {"fields": ("status", "staff_note")}),
        (_("Reminder progress (current cycle)"), {"fields": ("cycle", "sms_column", "call_column",
                                        "final_column", "message_link", "call_link",
                                        "jobs_link")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appointment]:
        return with_reminder_progress(super().get_queryset(request))

    def get_form(self, request: HttpRequest, obj: Appointment | None = None,
                 change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        # Clinics are set up by a manager, not from an appointment: no add/change/delete
        # icons beside the clinic.
        widget = form.base_fields["clinic"].widget
        widget.can_add_related = widget.can_change_related = False
        widget.can_delete_related = widget.can_view_related = False
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Appointment | None = None) -> Any:
        if obj is None:  # a new appointment has no status or reminders yet
            return ((None, {"fields": ("clinic", "patient_name", "phone", "starts_at")}),)
        return self.fieldsets

    # --- columns

    @admin.display(description=_("Appointment time"), ordering="starts_at")
    def starts(self, appointment: Appointment) -> str:
        return seoul_time(appointment.starts_at)

    phone_display = phone_column("phone", _("Phone number"), ordering="phone")

    @admin.display(description=_("Reminder SMS"))
    def sms_column(self, appointment: Appointment) -> str:
        return sms_progress(appointment)

    @admin.display(description=_("Confirmation call"))
    def call_column(self, appointment: Appointment) -> str:
        return call_progress(appointment)

    @admin.display(description=_("Final"))
    def final_column(self, appointment: Appointment) -> str:
        return final_progress(appointment)

    @admin.display(description=_("Reminder SMS sent"))
    def message_link(self, appointment: Appointment) -> str:
        return admin_link(appointment.reminder_message)

    @admin.display(description=_("Reminder call placed"))
    def call_link(self, appointment: Appointment) -> str:
        call = appointment.reminder_call
        return admin_link(call, call.call_id if call else None)

    @admin.display(description=_("Jobs"))
    def jobs_link(self, appointment: Appointment) -> str:
        url = reverse("admin:integrations_job_changelist")
        return format_html('<a href="{}?q={}">{}</a>', url, gettext("This cycle's jobs"),
                           reminders.subject(appointment))

    def page_context(self, appointment: Appointment) -> dict[str, Any]:
        # Shown below the fields by templates/admin/integrations/appointment/change_form.html.
        return {"replies": [_reply_row(reply) for reply in (
            appointment.replies.select_related("message").order_by("created_at", "id"))]}

    # --- saving

    def save_model(self, request: HttpRequest, obj: Appointment, form: forms.ModelForm,
                   change: bool) -> None:
        """Save and plan the reminders, in the transaction the admin opened for the form."""
        if "phone" in form.changed_data:
            obj.phone_raw = form.phone_raw
        if not change:
            obj.save()
            reminders.plan(obj)
            return
        # Only the fields staff edited: a reply may have changed status since the page
        # was opened, and saving the whole row would undo it.
        edited = [name for name in form.changed_data if name != "starts_at"]
        if "phone" in edited:
            edited.append("phone_raw")
        if edited:
            obj.save(update_fields=[*edited, "updated_at"])
        # Reminders name the clinic and the time: either changing means a new cycle.
        if "starts_at" in form.changed_data or "clinic" in form.changed_data:
            reminders.reschedule(obj, obj.starts_at)

    # --- actions

    @admin.action(description=_("Send reminder SMS now"), permissions=["change"])
    def send_reminder_now(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        off = integration_status.nothing_sent("clawops")
        if off:
            # The job would only be recorded as skipped: say so, and change nothing.
            self.message_user(request, gettext("Nothing was sent. %(why)s") % {"why": off},
                              messages.ERROR)
            return
        selected = list(queryset.select_related("clinic"))
        scheduled = [a for a in selected if a.status == AppointmentStatus.SCHEDULED]
        sent = 0
        for appointment in scheduled:
            with transaction.atomic():
                sent += reminders.send_now(appointment)
        parts = [ngettext("Sending %(count)d reminder SMS now.",
                          "Sending %(count)d reminder SMS now.", sent) % {"count": sent}]
        if len(scheduled) > sent:
            parts.append(gettext("%(count)d already being sent.")
                         % {"count": len(scheduled) - sent})
        if len(selected) > len(scheduled):
            parts.append(gettext("%(count)d not sent: not in the state 'Scheduled'.")
                         % {"count": len(selected) - len(scheduled)})
        level = messages.SUCCESS if sent == len(selected) else messages.WARNING
        self.message_user(request, " ".join(parts), level)

    @admin.action(description=_("Mark confirmed"), permissions=["change"])
    def mark_confirmed(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        self._answer(request, queryset, ReplyIntent.CONFIRM, AppointmentStatus.CONFIRMED,
                     _("marked confirmed"))

    @admin.action(description=_("Mark cancelled"), permissions=["change"])
    def mark_cancelled(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        self._answer(request, queryset, ReplyIntent.CANCEL, AppointmentStatus.CANCELLED,
                     _("marked cancelled"))

    def _answer(self, request: HttpRequest, queryset: QuerySet[Appointment], intent: str,
                outcome: str, done: str) -> None:
        pks = list(queryset.order_by().values_list("pk", flat=True))
        changed = sum(reminders.apply_answer(pk, intent, via=AnswerChannel.STAFF).status == outcome
                      for pk in pks)
        text = gettext("%(count)d %(done)s.") % {"count": changed, "done": done}
        if changed < len(pks):
            # apply_answer never confirms a cancelled appointment.
            text += " " + gettext("%(count)d left as they are: the appointment is cancelled.") % {
                "count": len(pks) - changed}
        self.message_user(request, text,
                          messages.SUCCESS if changed == len(pks) else messages.WARNING)

    # --- CSV import

    def get_urls(self) -> list[URLPattern]:
        own = [path("import/", self.admin_site.admin_view(self.import_view),
                    name="integrations_appointment_import"),
               path("import/template.xlsx", self.admin_site.admin_view(self.template_view),
                    name="integrations_appointment_import_template")]
        return own + super().get_urls()  # before the catch-all "<object_id>/"

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        response = HttpResponse(import_template(), content_type=spreadsheets.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="appointments.xlsx"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        report = None
        if form.is_bound and form.is_valid():
            try:
                report = csv_import.import_appointments(form.cleaned_data["file"].read())
            except csv_import.FileProblem as exc:
                form.add_error("file", str(exc))
            else:
                for appointment in report.created:
                    self.log_addition(request, appointment, _("CSV import"))
                audit.record(request.user, "import", "appointments CSV",
                             detail=f"{len(report.created)} imported, "
                                    f"{len(report.errors)} rows rejected")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import appointments"),
            "form": form,
            "report": report,
            "columns": csv_import.COLUMNS,
            "nothing_sent": integration_status.nothing_sent("clawops"),
        }
        return TemplateResponse(request, "admin/integrations/appointment/import.html", context)


def import_template() -> bytes:
    """The workbook to fill in: the header in the reader's language and one example row."""
    clinic = Clinic.objects.order_by("pk").values_list("name", flat=True).first()
    tomorrow = timezone.localtime() + timedelta(days=1)
    example = [clinic or gettext("Clinic name"), gettext("Hong Gildong"), "010-1234-5678",
               tomorrow.strftime("%Y-%m-%d 14:30")]
    header = [str(label) for label in csv_import.COLUMNS.values()]
    return spreadsheets.workbook_bytes(header, [example], widths=(20, 16, 16, 20))


def _reply_row(reply: AppointmentReply) -> dict[str, str]:
    return {
        "time": seoul_time(reply.message.created_at),
        "from": format_phone(reply.message.from_number),
        "body": reply.message.body,
        "intent": reply.get_intent_display(),
        "link": admin_link(reply.message, reply.message.message_id),
    }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > csv_import.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (1 MB at most). Upload one day at a time."))
        return upload
