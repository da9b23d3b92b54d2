"""The appointment list's actions and the queue of replies that need staff."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import Client, RequestFactory
from django.urls import reverse

from integrations.clinics import reminders
from integrations.jobs import kinds
from integrations.models import (
    Appointment,
    Job,
    JobState,
    ReplyIntent,
)
from tests.integrations.clinics.admin_pages import (
    APPOINTMENTS,
    action,
    job,
    listed,
    make_appointment,
    messages_of,
    reply,
    seoul,
    set_job,
)

pytestmark = pytest.mark.django_db

def test_it_registers_the_actions_for_staff_who_may_change_appointments(admin_user, db):
    request = RequestFactory().get(APPOINTMENTS)
    request.user = admin_user
    model_admin = admin.site.get_model_admin(Appointment)

    assert {"send_reminder_now", "mark_confirmed"} <= set(model_admin.get_actions(request))

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    request.user = viewer
    assert "send_reminder_now" not in model_admin.get_actions(request)


def test_it_sends_the_reminder_now(admin_client, clinic, morning):
    waiting = make_appointment(clinic, "대기", seoul(11, 27, 14))
    sent = make_appointment(clinic, "보냄", seoul(11, 27, 15))
    set_job(sent, kinds.REMINDER_SMS, JobState.DONE)
    Job.objects.filter(subject=reminders.subject(sent)).update(attempts=1)
    confirmed = make_appointment(clinic, "확인됨", seoul(11, 27, 16), status="confirmed")

    response = action(admin_client, "send_reminder_now", waiting, sent, confirmed)

    assert messages_of(response) == [
        "2건의 안내 문자를 지금 보냅니다. 1건은 '예약됨' 상태가 아니라 보내지 않았습니다."]
    for appointment in (waiting, sent):
        sms = job(appointment, kinds.REMINDER_SMS)
        assert (sms.state, sms.next_attempt_at, sms.attempts) == (
            JobState.PENDING, seoul(11, 26, 10), 0)
        # The call keeps its time: it follows only if the patient does not confirm.
        assert job(appointment, kinds.REMINDER_CALL).next_attempt_at > seoul(11, 27, 13)
    assert job(confirmed, kinds.REMINDER_SMS).next_attempt_at == seoul(11, 27, 15)


def test_it_marks_appointments_confirmed(admin_client, clinic, morning):
    asked = make_appointment(clinic, "문의", seoul(11, 27, 14), status="needs_staff",
                             staff_note="주차 되나요?")
    cancelled = make_appointment(clinic, "취소", seoul(11, 27, 15), status="cancelled")

    response = action(admin_client, "mark_confirmed", asked, cancelled)

    assert messages_of(response) == [
        "1건을 확인 처리했습니다. 1건은 취소된 예약이라 그대로 두었습니다."]
    asked.refresh_from_db()
    cancelled.refresh_from_db()
    assert (asked.status, cancelled.status) == ("confirmed", "cancelled")


def test_it_marks_appointments_cancelled(admin_client, clinic, morning):
    asked = make_appointment(clinic, "문의", seoul(11, 27, 14), status="needs_staff")

    response = action(admin_client, "mark_cancelled", asked)

    assert messages_of(response) == ["1건을 취소 처리했습니다."]
    asked.refresh_from_db()
    assert asked.status == "cancelled"


def test_it_refuses_an_action_without_the_csrf_token(admin_user, clinic, morning):
    appointment = make_appointment(clinic, "문의", seoul(11, 27, 14), status="needs_staff")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    data = {"action": "mark_confirmed", "index": 0, "_selected_action": [appointment.pk]}

    assert client.post(APPOINTMENTS, data).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "needs_staff"

    client.get(APPOINTMENTS)  # sets the CSRF cookie, as the page does for a browser
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    assert client.post(APPOINTMENTS, data).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


# --- the needs-staff queue ------------------------------------------------------------------


def test_it_queues_replies_that_need_staff_with_the_reply_on_the_page(admin_client, clinic,
                                                                      morning):
    asked = make_appointment(clinic, "문의", seoul(11, 27, 14))
    make_appointment(clinic, "조용", seoul(11, 27, 15))
    reply(asked, "네 근데 시간 바꿀 수 있나요?", ReplyIntent.OTHER, "MSin1", seoul(11, 26, 9, 5))
    reminders.apply_answer(asked.pk, ReplyIntent.OTHER, note="네 근데 시간 바꿀 수 있나요?")

    queue = admin_client.get(APPOINTMENTS, {"status__exact": "needs_staff"})
    page = admin_client.get(
        reverse("admin:integrations_appointment_change", args=[asked.pk])).content.decode()

    assert listed(queue) == ["문의"]
    assert "시간 바꿀 수 있나요?" in queue.content.decode()
    assert "환자 답장" in page
    assert "2026-11-26 09:05" in page  # the reply's time, in Korean time
    staff_note = r'field-staff_note.*?<div class="readonly">네 근데 시간 바꿀 수 있나요\?</div>'
    assert re.search(staff_note, page, re.DOTALL)
    assert '<td class="reply-body">네 근데 시간 바꿀 수 있나요?</td><td>직원 확인 필요</td>' in page
    assert "직원 확인 필요" in page
