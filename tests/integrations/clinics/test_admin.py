"""The front desk's admin for clinic reminders (integrations/clinics/admin.py,
admin_list.py): adding and changing appointments, and the appointment list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.models import Call, Message
from integrations.clinics import reminders
from integrations.jobs import kinds, reasons
from integrations.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Job,
    JobState,
    ReplyIntent,
)
from tests.integrations.clinics.admin_pages import (
    ADD,
    APPOINTMENTS,
    SEOUL,
    add_form,
    job,
    listed,
    make_appointment,
    progress,
    rows_by_name,
    seoul,
    set_job,
)

pytestmark = pytest.mark.django_db

def test_it_plans_the_sms_and_the_call_when_an_appointment_is_added(admin_client, clinic,
                                                                     morning):
    response = admin_client.post(ADD, add_form(clinic, phone="+82 10-1111-2222"))

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.phone, appointment.phone_raw) == ("01011112222", "+82 10-1111-2222")
    assert appointment.starts_at == seoul(11, 27, 14)
    assert (appointment.cycle, appointment.status) == (1, AppointmentStatus.SCHEDULED)
    sms, call = job(appointment, kinds.REMINDER_SMS), job(appointment, kinds.REMINDER_CALL)
    assert (sms.state, sms.next_attempt_at) == (JobState.PENDING, seoul(11, 27, 13))
    assert (call.state, call.next_attempt_at) == (JobState.PENDING, seoul(11, 27, 13, 10))
    assert sms.payload == {"appointment": appointment.pk, "cycle": 1}


@pytest.mark.parametrize("phone", ["+1 415 555 0100", "010-1234", "없음", "0000000000",
                                   "099-1234-5678", "1234-5678"])
def test_it_refuses_a_number_that_is_not_korean_with_a_form_error(admin_client, clinic,
                                                                  morning, phone):
    response = admin_client.post(ADD, add_form(clinic, phone=phone))

    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert "010-1234-5678" in response.content.decode()  # the error shows an example
    assert not Appointment.objects.exists()
    assert not Job.objects.exists()


def test_it_refuses_a_time_that_has_passed(admin_client, clinic, morning):
    response = admin_client.post(ADD, add_form(clinic, starts_at_0="2026-11-26",
                                               starts_at_1="09:00"))

    assert response.context["adminform"].form.errors["starts_at"] == ["이미 지난 시각입니다."]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(("day", "error"), [
    ("9999-12-31", "2년 넘게 뒤의 시각입니다. 날짜를 확인해 주세요."),
    ("2028-11-28", "2년 넘게 뒤의 시각입니다. 날짜를 확인해 주세요."),  # a year typed wrong
    ("0001-01-01", "이미 지난 시각입니다."),
])
def test_it_refuses_a_time_outside_the_booking_window(admin_client, clinic, morning, day,
                                                      error):
    response = admin_client.post(ADD, add_form(clinic, starts_at_0=day))

    assert response.context["adminform"].form.errors["starts_at"] == [error]
    assert not Appointment.objects.exists()


def test_it_refuses_moving_an_appointment_years_ahead_in_the_readers_language(
        admin_client, clinic, morning):
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14))
    change = reverse("admin:integrations_appointment_change", args=[appointment.pk])

    response = admin_client.post(change, change_form(appointment, starts_at_0="9999-11-27"),
                                 headers={"Accept-Language": "en"})

    assert response.context["adminform"].form.errors["starts_at"] == [
        "More than two years ahead; check the date."]
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.cycle) == (seoul(11, 27, 14), 1)


def change_form(appointment: Appointment, **fields: str) -> dict[str, str]:
    local = appointment.starts_at.astimezone(SEOUL)
    data = {"clinic": str(appointment.clinic_id), "patient_name": appointment.patient_name,
            "phone": appointment.phone, "starts_at_0": f"{local:%Y-%m-%d}",
            "starts_at_1": f"{local:%H:%M:%S}"}
    data.update(fields)
    return data


def test_it_starts_a_new_cycle_when_the_time_changes(admin_client, clinic, morning):
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14))
    old_sms, old_call = job(appointment, kinds.REMINDER_SMS), job(appointment, kinds.REMINDER_CALL)
    change = reverse("admin:integrations_appointment_change", args=[appointment.pk])

    response = admin_client.post(change, change_form(appointment, starts_at_0="2026-11-28",
                                                     starts_at_1="09:30"))

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.cycle) == (seoul(11, 28, 9, 30), 2)
    assert reminders.subject(appointment) == f"appointment:{appointment.pk}:cycle:2"
    assert job(appointment, kinds.REMINDER_SMS).next_attempt_at == seoul(11, 28, 8, 30)
    assert job(appointment, kinds.REMINDER_CALL).next_attempt_at == seoul(11, 28, 8, 40)
    # The first cycle's jobs stay, and refuse to send when they come due.
    for old in (old_sms, old_call):
        old.refresh_from_db()
        assert old.state == JobState.PENDING
        reason = reminders.why_not_now(appointment, old, seoul(11, 27, 13, 10))
        assert reason == reasons.APPOINTMENT_MOVED
    assert Job.objects.count() == 4


def test_it_keeps_the_cycle_when_only_the_name_or_number_changes(admin_client, clinic, morning):
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14))
    change = reverse("admin:integrations_appointment_change", args=[appointment.pk])

    response = admin_client.post(change, change_form(appointment, patient_name="김민수(보호자)",
                                                     phone="010 9999 8888"))

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.patient_name, appointment.phone, appointment.phone_raw,
            appointment.cycle) == ("김민수(보호자)", "01099998888", "010 9999 8888", 1)
    assert Job.objects.count() == 2


def test_it_starts_a_new_cycle_when_the_appointment_moves_to_another_clinic(admin_client,
                                                                           clinic, morning):
    other = Clinic.objects.create(name="부산한의원", phone="0511234567", from_number="07011112222",
                                  reminder_lead_minutes=120)
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14))
    change = reverse("admin:integrations_appointment_change", args=[appointment.pk])

    admin_client.post(change, change_form(appointment, clinic=str(other.pk)))

    appointment.refresh_from_db()
    assert (appointment.clinic, appointment.cycle) == (other, 2)
    # The SMS names the clinic and follows its lead time.
    assert job(appointment, kinds.REMINDER_SMS).next_attempt_at == seoul(11, 27, 12)


def test_it_does_not_undo_a_reply_that_arrived_while_the_page_was_open(admin_client, clinic,
                                                                       morning):
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14))
    change = reverse("admin:integrations_appointment_change", args=[appointment.pk])
    data = change_form(appointment, patient_name="김민수님")
    reminders.apply_answer(appointment.pk, ReplyIntent.CONFIRM)  # the patient texts "네"

    admin_client.post(change, data)

    appointment.refresh_from_db()
    assert (appointment.patient_name, appointment.status) == ("김민수님", "confirmed")


def test_it_shows_the_booking_system_id_and_never_changes_it(admin_client, clinic, morning):
    appointment = make_appointment(clinic, "김민수", seoul(11, 27, 14), external_id="B-1001")
    change = reverse("admin:integrations_appointment_change", args=[appointment.pk])

    korean = admin_client.get(change).content.decode()
    english = admin_client.get(change, headers={"Accept-Language": "en"}).content.decode()
    admin_client.post(change, change_form(appointment, patient_name="김민수님",
                                          external_id="B-9999"))

    assert "예약 시스템 ID" in korean and "B-1001" in korean
    assert "Booking system ID" in english
    assert 'name="external_id"' not in korean  # shown, not an input
    appointment.refresh_from_db()
    assert (appointment.patient_name, appointment.external_id) == ("김민수님", "B-1001")


# --- the list ----------------------------------------------------------------------------


def test_it_filters_today_tomorrow_and_this_week_in_korean_time(admin_client, clinic):
    make_appointment(clinic, "오늘 밤", seoul(11, 26, 23, 45))
    make_appointment(clinic, "내일 새벽", seoul(11, 27, 0, 15))  # still the 26th in UTC
    make_appointment(clinic, "토요일", seoul(11, 28, 9))
    make_appointment(clinic, "다음 주 월요일", seoul(11, 30, 9))
    make_appointment(clinic, "지난 월요일", seoul(11, 23, 0, 0))

    with time_machine.travel(seoul(11, 26, 23, 30), tick=False):  # Thursday, near midnight
        assert listed(admin_client.get(APPOINTMENTS, {"day": "today"})) == ["오늘 밤"]
        assert listed(admin_client.get(APPOINTMENTS, {"day": "tomorrow"})) == ["내일 새벽"]
        assert listed(admin_client.get(APPOINTMENTS, {"day": "week"})) == [
            "지난 월요일", "오늘 밤", "내일 새벽", "토요일"]

    with time_machine.travel(seoul(11, 27, 0, 5), tick=False):  # just after midnight
        assert listed(admin_client.get(APPOINTMENTS, {"day": "today"})) == ["내일 새벽"]
        assert listed(admin_client.get(APPOINTMENTS, {"day": "tomorrow"})) == ["토요일"]


def test_it_filters_by_clinic_and_status(admin_client, clinic, morning):
    other = Clinic.objects.create(name="부산한의원", phone="0511234567", from_number="07011112222")
    make_appointment(clinic, "김민수", seoul(11, 27, 14))
    make_appointment(other, "이영희", seoul(11, 27, 15))
    make_appointment(clinic, "박지성", seoul(11, 27, 16), status=AppointmentStatus.CONFIRMED)

    assert listed(admin_client.get(APPOINTMENTS, {"clinic__id__exact": other.pk})) == ["이영희"]
    assert listed(admin_client.get(APPOINTMENTS, {"status__exact": "confirmed"})) == ["박지성"]


def test_it_finds_an_appointment_by_its_booking_system_id(admin_client, clinic, morning):
    make_appointment(clinic, "김민수", seoul(11, 27, 14), external_id="B-1001")
    make_appointment(clinic, "이영희", seoul(11, 27, 15), external_id="B-2002")
    make_appointment(clinic, "박지성", seoul(11, 27, 16))  # added in admin: no such id

    assert listed(admin_client.get(APPOINTMENTS, {"q": "B-1001"})) == ["김민수"]
    assert listed(admin_client.get(APPOINTMENTS, {"q": "2002"})) == ["이영희"]
    assert "예약 시스템 ID" in admin_client.get(APPOINTMENTS).content.decode()  # the search help


def test_it_shows_the_columns_the_front_desk_reads(admin_client, clinic, morning):
    make_appointment(clinic, "김민수", seoul(11, 27, 14))

    page = admin_client.get(APPOINTMENTS).content.decode()

    for text in ("김민수", "서울치과", "2026-11-27 14:00", "010-1111-2222", "예약됨",
                 "대기 (2026-11-27 13:00)", "대기 (2026-11-27 13:10)", "예약 가져오기"):
        assert text in page


def test_it_shows_each_step_of_the_current_cycle(admin_client, clinic, morning):
    now = seoul(11, 26, 10)
    waiting = make_appointment(clinic, "대기", seoul(11, 27, 14))

    done = make_appointment(clinic, "응답", seoul(11, 27, 15), status="confirmed")
    set_job(done, kinds.REMINDER_SMS, JobState.DONE)
    set_job(done, kinds.REMINDER_CALL, JobState.DONE)
    done.reminder_message = Message.objects.create(message_id="MSok", direction="outbound",
                                                   status="sent", created_at=now)
    done.reminder_call = Call.objects.create(call_id="CAok", direction="outbound",
                                             status="completed", duration=30, answered_at=now,
                                             started_at=now)
    done.save()

    skipped = make_appointment(clinic, "건너뜀", seoul(11, 27, 16), status="cancelled")
    set_job(skipped, kinds.REMINDER_SMS, JobState.SKIPPED, reasons.OPTED_OUT)
    set_job(skipped, kinds.REMINDER_CALL, JobState.SKIPPED,
            reasons.appointment_status("cancelled"))

    missed = make_appointment(clinic, "부재", seoul(11, 27, 17), status="needs_staff",
                              staff_note="네 근데 시간 바꿀 수 있나요?")
    set_job(missed, kinds.REMINDER_SMS, JobState.DONE)
    set_job(missed, kinds.REMINDER_CALL, JobState.DONE)
    missed.reminder_message = Message.objects.create(message_id="MSbad", direction="outbound",
                                                     status="failed", created_at=now)
    missed.reminder_call = Call.objects.create(call_id="CAmiss", direction="outbound",
                                               status="no-answer", started_at=now)
    missed.save()

    ringing = make_appointment(clinic, "거는 중", seoul(11, 27, 18))
    set_job(ringing, kinds.REMINDER_SMS, JobState.FAILED, "400 invalid number")
    set_job(ringing, kinds.REMINDER_CALL, JobState.DONE)
    ringing.reminder_call = Call.objects.create(call_id="CAring", direction="outbound",
                                                status="ringing", started_at=now)
    ringing.save()

    moved = make_appointment(clinic, "변경", seoul(11, 27, 19))
    set_job(moved, kinds.REMINDER_SMS, JobState.DONE)
    reminders.reschedule(moved, seoul(11, 28, 19))

    rows = rows_by_name(admin_client)

    assert progress(rows["대기"]) == ("대기 (2026-11-27 13:00)", "대기 (2026-11-27 13:10)", "-")
    assert progress(rows["응답"]) == ("발송 완료", "응답", "확인됨")
    assert progress(rows["건너뜀"]) == ("건너뜀: 수신 거부한 번호입니다.",
                                      "건너뜀: 예약 상태가 '취소됨'입니다.", "취소됨")
    sms, call, final = progress(rows["부재"])
    assert (sms, call) == ("발송 실패 (통신사 결과)", "부재 (응답 없음)")
    assert "직원 확인 필요" in final and "시간 바꿀 수 있나요?" in final
    assert progress(rows["거는 중"])[:2] == ("발송 실패: 400 invalid number", "전화 걸음")
    # Only the new cycle counts: the first cycle's sent SMS is history.
    assert progress(rows["변경"]) == ("대기 (2026-11-28 18:00)", "대기 (2026-11-28 18:10)", "-")
    assert waiting.pk in {a.pk for a in rows.values()}


def add_many(clinic: Clinic, count: int, offset: int = 0) -> None:
    now = seoul(11, 26, 10)
    for i in range(offset, offset + count):
        appointment = make_appointment(clinic, f"환자{i}", seoul(11, 27, 9) + timedelta(minutes=i),
                                       phone=f"010{i:08d}")
        set_job(appointment, kinds.REMINDER_SMS, JobState.DONE)
        set_job(appointment, kinds.REMINDER_CALL, JobState.DONE)
        appointment.reminder_message = Message.objects.create(
            message_id=f"MS{i}", direction="outbound", status="sent", created_at=now)
        appointment.reminder_call = Call.objects.create(
            call_id=f"CA{i}", direction="outbound", status="no-answer", started_at=now)
        appointment.save()


def changelist_queries(client: Client, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(APPOINTMENTS, params)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_it_lists_appointments_with_the_same_number_of_queries_for_any_number_of_rows(
        admin_client, clinic, morning):
    searches = ({}, {"day": "tomorrow"}, {"status__exact": "scheduled"}, {"q": "010"})
    add_many(clinic, 3)
    few = [changelist_queries(admin_client, params) for params in searches]

    add_many(clinic, 27, offset=3)
    many = [changelist_queries(admin_client, params) for params in searches]

    assert few == many
    assert len(rows_by_name(admin_client)) == 30
