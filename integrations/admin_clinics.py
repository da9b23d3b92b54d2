"""The front desk's admin for clinic reminders (S4): clinics, appointments with the progress
of their reminders, the CSV import of a day's appointments, opt-outs and patients' replies.

The appointment list answers "which patients have not confirmed tomorrow" at a glance, so
each row shows the SMS and call steps of its current reminder cycle. Those come from the
ledger rows (kind, subject) and the message and call they produced, joined into the list's
one query by subqueries and select_related — never a query per row.
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
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from calls.admin_display import PageContextAdmin, ReadOnlyAdmin, admin_link, alert, seoul_time
from calls.phone import format_phone, normalize_phone
from calls.vocabulary import CallStatus, MessageStatus
from integrations import appointment_csv, kinds, reasons, reminders, spreadsheets, status
from integrations.models import (
    AnswerChannel,
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    Job,
    JobState,
    OptOut,
    ReplyIntent,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOT_YET = "-"
MISSED_CALL_STATUSES = {CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.REJECTED,
                        CallStatus.CANCELED, CallStatus.FAILED}
FINAL_LABELS = {
    AppointmentStatus.CONFIRMED: _("Confirmed"),
    AppointmentStatus.CANCELLED: _("Cancelled"),
    AppointmentStatus.NEEDS_STAFF: _("Needs staff"),
}


def _excerpt(text: str | None, length: int = 60) -> str:
    return Truncator((text or "").strip()).chars(length)


def _korean_phone(value: str) -> str:
    """The same rule as the CSV import, as a form error."""
    try:
        return appointment_csv.korean_phone(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


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
        return _korean_phone(self.cleaned_data["phone"])

    def clean_from_number(self) -> str:
        return _korean_phone(self.cleaned_data["from_number"])

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
    list_display = ("name", "phone_display", "from_display", "reminder_lead_minutes",
                    "escalation_delay_minutes", "quiet_hours", "quiet_hours_policy")
    search_fields = ("name",)

    @admin.display(description=_("Number for changes"), ordering="phone")
    def phone_display(self, clinic: Clinic) -> str:
        return format_phone(clinic.phone)

    @admin.display(description=_("Sending number"), ordering="from_number")
    def from_display(self, clinic: Clinic) -> str:
        return format_phone(clinic.from_number)

    @admin.display(description=_("Quiet hours"))
    def quiet_hours(self, clinic: Clinic) -> str:
        if clinic.quiet_start == clinic.quiet_end:
            return _("None")
        return f"{clinic.quiet_start:%H:%M}–{clinic.quiet_end:%H:%M}"


# --- the appointment list's columns -----------------------------------------------------------


def _job_field(kind: str, field: str) -> Subquery:
    # One indexed lookup on (kind, subject) per column; "reminder_subject" is the
    # annotation that rebuilds reminders.subject() in SQL.
    return Subquery(
        Job.objects.filter(kind=kind, subject=OuterRef("reminder_subject"))
        .order_by().values(field)[:1]
    )


def with_reminder_progress(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Appointments with their current cycle's job states, for sms_/call_progress."""
    return queryset.select_related("clinic", "reminder_message", "reminder_call").annotate(
        reminder_subject=Concat(
            Value("appointment:"), Cast("pk", CharField()),
            Value(":cycle:"), Cast("cycle", CharField()),
            output_field=CharField(),
        ),
        sms_state=_job_field(kinds.REMINDER_SMS, "state"),
        sms_error=_job_field(kinds.REMINDER_SMS, "last_error"),
        sms_due=_job_field(kinds.REMINDER_SMS, "next_attempt_at"),
        call_state=_job_field(kinds.REMINDER_CALL, "state"),
        call_error=_job_field(kinds.REMINDER_CALL, "last_error"),
        call_due=_job_field(kinds.REMINDER_CALL, "next_attempt_at"),
    )


def _open_or_stopped(state: str | None, error: str | None, due: datetime | None,
                     failed: str, running: str) -> str | None:
    """What a job that has not done its thing says; None once it is done."""
    if state is None:
        return NOT_YET  # never planned (an appointment from before the reminders existed)
    if state == JobState.PENDING:
        # Reminders need the ClawOps API: while it is off a waiting job will be skipped.
        missing = kinds.missing_settings("clawops")
        if missing:
            return alert(gettext("Waiting for settings: %(settings)s")
                         % {"settings": ", ".join(missing)})
        return gettext("Pending (%(due)s)") % {"due": seoul_time(due)}
    if state == JobState.RUNNING:
        return running
    if state == JobState.SKIPPED:
        return gettext("Skipped: %(reason)s") % {
            "reason": _excerpt(reasons.reason_text(error or ""))}
    if state == JobState.FAILED:
        return f"{failed}: {_excerpt(reasons.reason_text(error or ''))}"
    if state == JobState.UNKNOWN:
        return _("Check the outcome (on the jobs page)")
    return None


def sms_progress(appointment: Appointment) -> str:
    stopped = _open_or_stopped(getattr(appointment, "sms_state", None),
                               getattr(appointment, "sms_error", ""),
                               getattr(appointment, "sms_due", None),
                               failed=_("Sending failed"), running=_("Sending"))
    if stopped is not None:
        return stopped
    message = appointment.reminder_message
    if message is not None and message.status == MessageStatus.FAILED:
        return _("Sending failed (carrier report)")
    return _("Sent")


def call_progress(appointment: Appointment) -> str:
    stopped = _open_or_stopped(getattr(appointment, "call_state", None),
                               getattr(appointment, "call_error", ""),
                               getattr(appointment, "call_due", None),
                               failed=_("Call failed"), running=_("Dialling"))
    if stopped is not None:
        return stopped
    call = appointment.reminder_call
    if call is None:
        return _("Call placed")
    if call.answered_at is not None or (call.status == CallStatus.COMPLETED and call.duration):
        return _("Answered (answering machine)") if call.answered_by == "machine" else _("Answered")
    if call.status == CallStatus.COMPLETED:
        return _("Not reached (no answer)")  # completed after 0 seconds
    if call.status in MISSED_CALL_STATUSES:
        return gettext("Not reached (%(status)s)") % {"status": CallStatus(call.status).label}
    return _("Call placed")


def final_progress(appointment: Appointment) -> str:
    label = FINAL_LABELS.get(appointment.status)
    if label is None:
        return NOT_YET
    if appointment.status == AppointmentStatus.NEEDS_STAFF:
        note = reasons.reason_text(appointment.staff_note)
        return format_html("{}{}", alert(label), f": {_excerpt(note, 40)}" if note else "")
    return label


class DayFilter(admin.SimpleListFilter):
    """Days as the clinic lives them: Korean midnight to midnight, weeks from Monday."""

    title = _("Appointment day")
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("today", _("Today")), ("tomorrow", _("Tomorrow")), ("week", _("This week"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        span = day_span(self.value(), timezone.now())
        if span is None:
            return queryset
        return queryset.filter(starts_at__gte=span[0], starts_at__lt=span[1])


def day_span(choice: str | None, now: datetime) -> tuple[datetime, datetime] | None:
    midnight = timezone.localtime(now, SEOUL).replace(hour=0, minute=0, second=0,
                                                      microsecond=0)
    day = timedelta(days=1)
    if choice == "today":
        return midnight, midnight + day
    if choice == "tomorrow":
        return midnight + day, midnight + 2 * day
    if choice == "week":
        monday = midnight - timedelta(days=midnight.weekday())
        return monday, monday + 7 * day
    return None


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
        return _korean_phone(self.phone_raw)

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        moved = self.instance.pk is None or "starts_at" in self.changed_data
        if moved and starts_at <= timezone.now():
            raise forms.ValidationError(_("That time has already passed."))
        return starts_at


@admin.register(Appointment)
class AppointmentAdmin(PageContextAdmin):
    form = AppointmentForm
    change_list_template = "admin/integrations/appointment/change_list.html"
    list_display = ("patient_name", "clinic", "starts", "phone_display", "status",
                    "sms_column", "call_column", "final_column")
    list_filter = (DayFilter, "clinic", "status")
    list_select_related = ("clinic", "reminder_message", "reminder_call")
    search_fields = ("patient_name",)
    search_help_text = _("Patient name or phone number (any format, or some of its digits)")
    show_full_result_count = False
    actions = ("send_reminder_now", "mark_confirmed", "mark_cancelled")
    readonly_fields = ("status", "staff_note", "cycle", "phone_raw", "sms_column",
                       "call_column", "final_column", "message_link", "call_link", "jobs_link")
    fieldsets = (
        (None, {"fields": ("clinic", "patient_name", "phone", "phone_raw", "starts_at")}),
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

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        number = normalize_phone(term)
        found = Q(patient_name__icontains=term)
        if number.isdigit() and len(number) >= 3:
            found |= Q(phone__contains=number)
        return queryset.filter(found), False

    # --- columns

    @admin.display(description=_("Appointment time"), ordering="starts_at")
    def starts(self, appointment: Appointment) -> str:
        return seoul_time(appointment.starts_at)

    @admin.display(description=_("Phone number"), ordering="phone")
    def phone_display(self, appointment: Appointment) -> str:
        return format_phone(appointment.phone)

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
        off = status.nothing_sent("clawops")
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
                report = appointment_csv.import_appointments(form.cleaned_data["file"].read())
            except appointment_csv.FileProblem as exc:
                form.add_error("file", str(exc))
            else:
                for appointment in report.created:
                    self.log_addition(request, appointment, _("CSV import"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import appointments"),
            "form": form,
            "report": report,
            "columns": appointment_csv.COLUMNS,
            "nothing_sent": status.nothing_sent("clawops"),
        }
        return TemplateResponse(request, "admin/integrations/appointment/import.html", context)


def import_template() -> bytes:
    """The workbook to fill in: the header in the reader's language and one example row."""
    clinic = Clinic.objects.order_by("pk").values_list("name", flat=True).first()
    tomorrow = timezone.localtime() + timedelta(days=1)
    example = [clinic or gettext("Clinic name"), gettext("Hong Gildong"), "010-1234-5678",
               tomorrow.strftime("%Y-%m-%d 14:30")]
    header = [str(label) for label in appointment_csv.COLUMNS.values()]
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
        if upload.size > appointment_csv.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (1 MB at most). Upload one day at a time."))
        return upload


# --- opt-outs and replies --------------------------------------------------------------------


class OptOutForm(forms.ModelForm):
    """Also for the front desk: a patient who asks on the phone for no more reminders."""

    class Meta:
        model = OptOut
        fields = ("phone", "reason")
        labels: ClassVar[dict[str, object]] = {"reason": _("How they asked")}
        help_texts: ClassVar[dict[str, object]] = {
            "reason": _("E.g. \"asked by phone on 2026-11-30\", or the text they sent."),
        }

    def clean_phone(self) -> str:
        return _korean_phone(self.cleaned_data["phone"])


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    """Numbers that asked for no reminders; deleting one lets reminders reach it again."""

    form = OptOutForm
    list_display = ("phone_display", "reason_excerpt", "created")
    search_fields = ("phone",)
    search_help_text = _("Phone number (any format, or some of its digits)")

    def get_readonly_fields(self, request: HttpRequest, obj: OptOut | None = None) -> Any:
        return ("phone", "reason", "created") if obj else ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        number = normalize_phone(search_term)
        return queryset.filter(phone__contains=number) if number else queryset, False

    @admin.display(description=_("Phone number"), ordering="phone")
    def phone_display(self, opt_out: OptOut) -> str:
        return format_phone(opt_out.phone)

    @admin.display(description=_("Text received"))
    def reason_excerpt(self, opt_out: OptOut) -> str:
        return _excerpt(opt_out.reason)

    @admin.display(description=_("Time"), ordering="created_at")
    def created(self, opt_out: OptOut) -> str:
        return seoul_time(opt_out.created_at)


@admin.register(AppointmentReply)
class AppointmentReplyAdmin(ReadOnlyAdmin):
    list_display = ("received", "from_display", "body_excerpt", "intent", "appointment_link")
    list_filter = ("intent", ("appointment", admin.EmptyFieldListFilter))
    list_select_related = ("message", "appointment")
    search_fields = ("message__from_number",)
    search_help_text = _("Sender's number (any format, or some of its digits)")
    fields = ("received", "from_display", "body", "intent", "appointment_link")
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        number = normalize_phone(search_term)
        if not number:
            return queryset, False
        return queryset.filter(message__from_number__contains=number), False

    @admin.display(description=_("Received at"), ordering="created_at")
    def received(self, reply: AppointmentReply) -> str:
        return seoul_time(reply.message.created_at)

    @admin.display(description=_("Sender's number"))
    def from_display(self, reply: AppointmentReply) -> str:
        return format_phone(reply.message.from_number)

    @admin.display(description=_("Text"))
    def body_excerpt(self, reply: AppointmentReply) -> str:
        return _excerpt(reply.message.body, 40)

    @admin.display(description=_("Text"))
    def body(self, reply: AppointmentReply) -> str:
        return reply.message.body

    @admin.display(description=_("Appointment"))
    def appointment_link(self, reply: AppointmentReply) -> str:
        appointment = reply.appointment
        if appointment is None:
            return _("No appointment matched")
        # Appointment.__str__ formats the stored UTC time; staff read Korean time.
        when = seoul_time(appointment.starts_at)
        return admin_link(appointment, f"{appointment.patient_name} {when}")
