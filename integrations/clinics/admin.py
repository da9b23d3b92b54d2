"""The front desk's admin for clinic reminders (S4): clinics, appointments with the progress
of their reminders, the CSV import of a day's appointments.

The appointment list's columns are in admin_list.py, opt-outs and replies in
admin_replies.py.
"""

from __future__ import annotations

from datetime import datetime
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
from django.utils.translation import gettext_lazy as _

from calls.admin_display import PageContextAdmin, admin_link, seoul_time
from calls.admin_numbers import NumberSearchAdmin, korean_number_value, phone_column
from calls.phone import format_phone
from integrations import audit
from integrations.clinics import csv_import, reminders
from integrations.clinics.admin_list import (
    DayFilter,
    call_progress,
    final_progress,
    sms_progress,
    with_reminder_progress,
)
from integrations.models import (
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    ReplyIntent,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOT_YET = "-"
MINUTES = "%Y-%m-%d %H:%M"


# --- clinics -----------------------------------------------------------------------------


class ClinicForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = "__all__"
        help_texts: ClassVar[dict[str, str]] = {
            "quiet_start": "이 시각부터 끝 시각까지는 문자도 전화도 보내지 않습니다 (한국 시간).",
            "quiet_end": "시작과 같으면 조용한 시간이 없습니다.",
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
            self.add_error("escalation_delay_minutes", (
                f"전화가 예약 {lead - delay}분 전이 되어 항상 '너무 늦음'으로 건너뜁니다. "
                f"'안내 문자(예약 몇 분 전)'에서 이 값을 뺀 값이 {notice}분 이상이어야 합니다."
            ))
        return data


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    form = ClinicForm
    list_display = ("name", "phone_display", "from_display", "reminder_lead_minutes",
                    "escalation_delay_minutes", "quiet_hours", "quiet_hours_policy")
    search_fields = ("name",)

    phone_display = phone_column("phone", _("Number for changes"), ordering="phone")
    from_display = phone_column("from_number", _("Sending number"), ordering="from_number")

    @admin.display(description="조용한 시간")
    def quiet_hours(self, clinic: Clinic) -> str:
        if clinic.quiet_start == clinic.quiet_end:
            return "없음"
        return f"{clinic.quiet_start:%H:%M}–{clinic.quiet_end:%H:%M}"


# --- appointments ------------------------------------------------------------------------


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ("clinic", "patient_name", "phone", "starts_at")
        help_texts: ClassVar[dict[str, str]] = {
            "phone": "010-1234-5678, +82 10 1234 5678 모두 됩니다.",
            "starts_at": "한국 시간. 바꾸면 안내 문자와 전화를 새 시각에 맞춰 다시 보냅니다.",
        }

    def clean_phone(self) -> str:
        self.phone_raw = self.cleaned_data["phone"]  # kept beside the normalised number
        return korean_number_value(self.phone_raw)

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        moved = self.instance.pk is None or "starts_at" in self.changed_data
        if moved and starts_at <= timezone.now():
            raise forms.ValidationError("이미 지난 시각입니다.")
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
    text_search_fields = ("patient_name",)
    search_help_text = "환자 이름 또는 전화번호(형식 무관, 일부 숫자 가능)"
    show_full_result_count = False
    actions = ("send_reminder_now", "mark_confirmed", "mark_cancelled")
    readonly_fields = ("status", "staff_note", "cycle", "phone_raw", "sms_column",
                       "call_column", "final_column", "message_link", "call_link", "jobs_link")
    fieldsets = (
        (None, {"fields": ("clinic", "patient_name", "phone", "phone_raw", "starts_at")}),
        ("상태", {"fields": ("status", "staff_note")}),
        ("안내 진행 (현재 회차)", {"fields": ("cycle", "sms_column", "call_column",
                                        "final_column", "message_link", "call_link",
                                        "jobs_link")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appointment]:
        return with_reminder_progress(super().get_queryset(request))

    def get_fieldsets(self, request: HttpRequest, obj: Appointment | None = None) -> Any:
        if obj is None:  # a new appointment has no status or reminders yet
            return ((None, {"fields": ("clinic", "patient_name", "phone", "starts_at")}),)
        return self.fieldsets

    # --- columns

    @admin.display(description="예약 시각", ordering="starts_at")
    def starts(self, appointment: Appointment) -> str:
        return seoul_time(appointment.starts_at, MINUTES)

    phone_display = phone_column("phone", _("Phone number"), ordering="phone")

    @admin.display(description="안내 문자")
    def sms_column(self, appointment: Appointment) -> str:
        return sms_progress(appointment)

    @admin.display(description="확인 전화")
    def call_column(self, appointment: Appointment) -> str:
        return call_progress(appointment)

    @admin.display(description="최종")
    def final_column(self, appointment: Appointment) -> str:
        return final_progress(appointment)

    @admin.display(description="보낸 안내 문자")
    def message_link(self, appointment: Appointment) -> str:
        return admin_link(appointment.reminder_message)

    @admin.display(description="안내 전화")
    def call_link(self, appointment: Appointment) -> str:
        call = appointment.reminder_call
        return admin_link(call, call.call_id if call else None)

    @admin.display(description="작업")
    def jobs_link(self, appointment: Appointment) -> str:
        url = reverse("admin:integrations_job_changelist")
        return format_html('<a href="{}?q={}">이번 회차의 작업 보기</a>', url,
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

    @admin.action(description="지금 안내 문자 보내기", permissions=["change"])
    def send_reminder_now(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        selected = list(queryset.select_related("clinic"))
        scheduled = [a for a in selected if a.status == AppointmentStatus.SCHEDULED]
        sent = 0
        for appointment in scheduled:
            with transaction.atomic():
                sent += reminders.send_now(appointment)
        parts = [f"{sent}건의 안내 문자를 지금 보냅니다."]
        if len(scheduled) > sent:
            parts.append(f"{len(scheduled) - sent}건은 이미 보내는 중입니다.")
        if len(selected) > len(scheduled):
            parts.append(f"{len(selected) - len(scheduled)}건은 '예약됨' 상태가 아니라 "
                         "보내지 않았습니다.")
        level = messages.SUCCESS if sent == len(selected) else messages.WARNING
        self.message_user(request, " ".join(parts), level)

    @admin.action(description="확인 처리", permissions=["change"])
    def mark_confirmed(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        self._answer(request, queryset, ReplyIntent.CONFIRM, AppointmentStatus.CONFIRMED,
                     "확인 처리했습니다")

    @admin.action(description="취소 처리", permissions=["change"])
    def mark_cancelled(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        self._answer(request, queryset, ReplyIntent.CANCEL, AppointmentStatus.CANCELLED,
                     "취소 처리했습니다")

    def _answer(self, request: HttpRequest, queryset: QuerySet[Appointment], intent: str,
                outcome: str, done: str) -> None:
        pks = list(queryset.order_by().values_list("pk", flat=True))
        changed = sum(reminders.apply_answer(pk, intent).status == outcome for pk in pks)
        text = f"{changed}건을 {done}."
        if changed < len(pks):
            # apply_answer never confirms a cancelled appointment.
            text += f" {len(pks) - changed}건은 취소된 예약이라 그대로 두었습니다."
        self.message_user(request, text,
                          messages.SUCCESS if changed == len(pks) else messages.WARNING)

    # --- CSV import

    def get_urls(self) -> list[URLPattern]:
        own = [path("import/", self.admin_site.admin_view(self.import_view),
                    name="integrations_appointment_import")]
        return own + super().get_urls()  # before the catch-all "<object_id>/"

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
                    self.log_addition(request, appointment, "CSV 가져오기")
                audit.record(request.user, "import", "appointments CSV",
                             detail=f"{len(report.created)} imported, "
                                    f"{len(report.errors)} rows rejected")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "예약 CSV 가져오기",
            "form": form,
            "report": report,
            "columns": csv_import.COLUMNS,
        }
        return TemplateResponse(request, "admin/integrations/appointment/import.html", context)


def _reply_row(reply: AppointmentReply) -> dict[str, str]:
    return {
        "time": seoul_time(reply.message.created_at),
        "from": format_phone(reply.message.from_number),
        "body": reply.message.body,
        "intent": reply.get_intent_display(),
        "link": admin_link(reply.message, reply.message.message_id),
    }


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV 파일")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > csv_import.MAX_BYTES:
            raise forms.ValidationError("파일이 너무 큽니다 (1MB까지). 하루치씩 올려 주세요.")
        return upload
