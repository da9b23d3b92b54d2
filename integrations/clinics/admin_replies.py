"""Opt-outs and patients' replies in the front desk's admin."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from calls.admin_display import ReadOnlyAdmin, admin_link, seoul_time
from calls.admin_numbers import NumberSearchAdmin, korean_number_value, phone_column
from integrations.clinics.admin_list import excerpt
from integrations.models import (
    AppointmentReply,
    OptOut,
)

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
        return korean_number_value(self.cleaned_data["phone"])


@admin.register(OptOut)
class OptOutAdmin(NumberSearchAdmin):
    """Numbers that asked for no reminders; deleting one lets reminders reach it again."""

    form = OptOutForm
    list_display = ("phone_display", "reason_excerpt", "created")
    number_search_fields = ("phone",)
    search_help_text = _("Phone number (any format, or some of its digits)")

    def get_readonly_fields(self, request: HttpRequest, obj: OptOut | None = None) -> Any:
        return ("phone", "reason", "created") if obj else ()

    phone_display = phone_column("phone", _("Phone number"), ordering="phone")

    @admin.display(description=_("Text received"))
    def reason_excerpt(self, opt_out: OptOut) -> str:
        return excerpt(opt_out.reason)

    @admin.display(description=_("Time"), ordering="created_at")
    def created(self, opt_out: OptOut) -> str:
        return seoul_time(opt_out.created_at)


@admin.register(AppointmentReply)
class AppointmentReplyAdmin(NumberSearchAdmin, ReadOnlyAdmin):
    list_display = ("received", "from_display", "body_excerpt", "intent", "appointment_link")
    list_filter = ("intent", ("appointment", admin.EmptyFieldListFilter))
    list_select_related = ("message", "appointment")
    number_search_fields = ("message__from_number",)
    search_help_text = _("Sender's number (any format, or some of its digits)")
    fields = ("received", "from_display", "body", "intent", "appointment_link")
    readonly_fields = fields

    @admin.display(description=_("Received at"), ordering="created_at")
    def received(self, reply: AppointmentReply) -> str:
        return seoul_time(reply.message.created_at)

    from_display = phone_column("message__from_number", _("Sent from"))

    @admin.display(description=_("Text"))
    def body_excerpt(self, reply: AppointmentReply) -> str:
        return excerpt(reply.message.body, 40)

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
