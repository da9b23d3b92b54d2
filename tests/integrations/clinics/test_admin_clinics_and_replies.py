"""Clinics, opt-outs and patients' replies in the front desk's admin (integrations/clinics/
admin.py, admin_replies.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import (
    Clinic,
    OptOut,
    ReplyIntent,
)
from tests.integrations.clinics.admin_pages import (
    make_appointment,
    reply,
    seoul,
)

pytestmark = pytest.mark.django_db

def clinic_form(**fields: str) -> dict[str, str]:
    data = {"name": "서울치과", "phone": "02-1234-5678", "from_number": "070-1234-5678",
            "reminder_lead_minutes": "60", "escalation_delay_minutes": "10",
            "quiet_start": "21:00", "quiet_end": "08:00", "quiet_hours_policy": "earlier"}
    data.update(fields)
    return data


def test_it_adds_a_clinic_with_normalised_numbers(admin_client, db):
    response = admin_client.post(reverse("admin:integrations_clinic_add"),
                                 clinic_form(quiet_hours_policy="skip"))

    assert response.status_code == 302
    clinic = Clinic.objects.get()
    assert (clinic.phone, clinic.from_number, clinic.quiet_hours_policy) == (
        "0212345678", "07012345678", "skip")
    page = admin_client.get(reverse("admin:integrations_clinic_changelist")).content.decode()
    assert "02-1234-5678" in page and "21:00–08:00" in page


def test_it_refuses_clinic_settings_whose_call_would_always_be_too_late(admin_client, db):
    response = admin_client.post(reverse("admin:integrations_clinic_add"),
                                 clinic_form(reminder_lead_minutes="20"))

    assert response.status_code == 200
    assert "escalation_delay_minutes" in response.context["adminform"].form.errors
    assert not Clinic.objects.exists()


def test_it_lists_opt_outs_and_lets_staff_opt_a_number_back_in(admin_client, db):
    opt_out = OptOut.objects.create(phone="01011112222", reason="수신거부")
    OptOut.objects.create(phone="01099998888", reason="stop")
    changelist = reverse("admin:integrations_optout_changelist")

    found = admin_client.get(changelist, {"q": "010-1111-2222"})
    admin_client.post(reverse("admin:integrations_optout_delete", args=[opt_out.pk]),
                      {"post": "yes"})

    assert [o.phone for o in found.context["cl"].result_list] == ["01011112222"]
    assert "010-1111-2222" in found.content.decode()
    assert list(OptOut.objects.values_list("phone", flat=True)) == ["01099998888"]


def test_it_lists_replies_read_only_with_a_link_to_the_appointment(admin_client, clinic, morning):
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14))
    matched = reply(appointment, "네", ReplyIntent.CONFIRM, "MSin1", seoul(11, 26, 9))
    reply(None, "누구세요?", ReplyIntent.OTHER, "MSin2", seoul(11, 26, 9, 30))
    changelist = reverse("admin:integrations_appointmentreply_changelist")

    page = admin_client.get(changelist).content.decode()
    unmatched = admin_client.get(changelist, {"appointment__isempty": "1"})

    for text in ("2026-11-26 09:00", "010-1111-2222", "누구세요?", "확인",
                 "김민수 2026-11-27 14:00", "연결된 예약 없음",
                 reverse("admin:integrations_appointment_change", args=[appointment.pk])):
        assert text in page
    assert [r.message.message_id for r in unmatched.context["cl"].result_list] == ["MSin2"]
    change = reverse("admin:integrations_appointmentreply_change", args=[matched.pk])
    assert admin_client.post(change, {"intent": "cancel"}).status_code == 403
