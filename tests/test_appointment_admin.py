"""The front desk's admin for clinic reminders: integrations/admin_clinics.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.models import Call, Message
from integrations import admin_clinics, kinds, reasons, reminders
from integrations.models import (
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    Job,
    JobState,
    OptOut,
    ReplyIntent,
)

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
APPOINTMENTS = reverse("admin:integrations_appointment_changelist")
ADD = reverse("admin:integrations_appointment_add")
IMPORT = reverse("admin:integrations_appointment_import")


def seoul(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def morning() -> Iterator[None]:
    """Thursday 2026-11-26, 10:00 in Seoul."""
    with time_machine.travel(seoul(11, 26, 10), tick=False):
        yield


@pytest.fixture
def clinic() -> Clinic:
    return Clinic.objects.create(name="서울치과", phone="0212345678", from_number="07012345678")


def make_appointment(clinic: Clinic, name: str, starts_at: datetime, **fields) -> Appointment:
    appointment = Appointment.objects.create(
        clinic=clinic, patient_name=name, phone=fields.pop("phone", "01011112222"),
        starts_at=starts_at, **fields)
    reminders.plan(appointment)
    return appointment


def job(appointment: Appointment, kind: str) -> Job:
    return Job.objects.get(kind=kind, subject=reminders.subject(appointment))


def set_job(appointment: Appointment, kind: str, state: str, error: str = "") -> None:
    Job.objects.filter(kind=kind, subject=reminders.subject(appointment)).update(
        state=state, last_error=error)


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [a.patient_name for a in response.context["cl"].result_list]


def rows_by_name(client: Client, params: dict | None = None) -> dict[str, Appointment]:
    response = client.get(APPOINTMENTS, params or {})
    assert response.status_code == 200
    return {a.patient_name: a for a in response.context["cl"].result_list}


def progress(appointment: Appointment) -> tuple[str, str, str]:
    return (admin_clinics.sms_progress(appointment), admin_clinics.call_progress(appointment),
            str(admin_clinics.final_progress(appointment)))


def add_form(clinic: Clinic, **fields: str) -> dict[str, str]:
    data = {"clinic": str(clinic.pk), "patient_name": "김민수", "phone": "010-1111-2222",
            "starts_at_0": "2026-11-27", "starts_at_1": "14:00"}
    data.update(fields)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def action(client: Client, name: str, *appointments: Appointment):
    return client.post(APPOINTMENTS, {"action": name, "index": 0,
                                      "_selected_action": [a.pk for a in appointments]},
                       follow=True)


# --- adding and changing -----------------------------------------------------------------


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


@pytest.mark.parametrize("phone", ["+1 415 555 0100", "010-1234", "없음"])
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
    set_job(skipped, kinds.REMINDER_CALL, JobState.SKIPPED, reasons.appointment_status("cancelled"))

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


# --- actions -----------------------------------------------------------------------------


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


def reply(appointment: Appointment | None, body: str, intent: str, message_id: str,
          when: datetime) -> AppointmentReply:
    message = Message.objects.create(message_id=message_id, direction="inbound",
                                     status="received", from_number="01011112222",
                                     to_number="07012345678", body=body, created_at=when)
    return AppointmentReply.objects.create(message=message, appointment=appointment,
                                           intent=intent)


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


# --- CSV import ---------------------------------------------------------------------------


CSV_ROWS = (
    "clinic,patient_name,phone,starts_at\n"
    "서울치과,김민수,010-1111-2222,2026-11-27 09:30\n"  # 2: new
    "서울치과,이영희,010-3333-4444,2026-11-27T10:00\n"  # 3: new
    "없는병원,박지성,010-2222-3333,2026-11-27 10:00\n"  # 4: unknown clinic
    "서울치과,,010-3333-4444,2026-11-27 10:30\n"  # 5: no name
    "서울치과,최수영,02-12,2026-11-27 11:00\n"  # 6: bad phone
    "서울치과,정우성,010-4444-5555,내일 11시\n"  # 7: bad time
    "서울치과,한가인,010-5555-6666,2026-11-25 09:00\n"  # 8: in the past
    "서울치과,김민수,01011112222,2026-11-27 09:30\n"  # 9: same as row 2
)


def upload(client: Client, text: str, encoding: str = "utf-8"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(
        "appointments.csv", text.encode(encoding), content_type="text/csv")})


def test_it_offers_the_import_page_from_the_list(admin_client, db):
    page = admin_client.get(APPOINTMENTS).content.decode()
    form = admin_client.get(IMPORT)

    assert f'href="{IMPORT}"' in page
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.content.decode()


def test_it_imports_a_cp949_file_and_reports_every_row_it_left_out(admin_client, clinic,
                                                                   morning):
    response = upload(admin_client, CSV_ROWS, "cp949")

    assert response.status_code == 200
    report = response.context["report"]
    assert [a.patient_name for a in report.created] == ["김민수", "이영희"]
    assert [(e.row, e.column) for e in report.errors] == [
        (4, "clinic"), (5, "patient_name"), (6, "phone"), (7, "starts_at"), (8, "starts_at")]
    assert [(d.row, d.note) for d in report.duplicates] == [(9, "2행과 같아 건너뜀")]
    page = html.unescape(response.content.decode())
    for text in ("등록 2건, 중복으로 건너뜀 1건, 오류 5건", "'없는병원' 병원이 없습니다.",
                 "환자 이름이 비어 있습니다.", "이미 지난 시각입니다.", "2행과 같아 건너뜀"):
        assert text in page
    assert Job.objects.filter(state=JobState.PENDING).count() == 4  # SMS and call for each


def test_it_skips_rows_already_imported_when_the_file_comes_again(admin_client, clinic, morning):
    upload(admin_client, CSV_ROWS)

    response = upload(admin_client, CSV_ROWS)

    report = response.context["report"]
    assert report.created == []
    assert [d.row for d in report.duplicates] == [2, 3, 9]
    assert Appointment.objects.count() == 2


def test_it_shows_why_a_file_cannot_be_read(admin_client, clinic, morning):
    response = upload(admin_client, "이름,번호\n김민수,01011112222\n")

    assert response.context["report"] is None
    assert "머리글" in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_lets_only_staff_who_may_add_appointments_import(db, clinic):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    client = Client()
    client.force_login(viewer)

    assert client.get(IMPORT).status_code == 403
    assert f'href="{IMPORT}"' not in client.get(APPOINTMENTS).content.decode()


# --- clinics, opt-outs, replies -------------------------------------------------------------


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
