"""S4: reminder SMS, then a call, then the patient's answer — with a controlled clock."""

import json
import threading

import httpx
import pytest
import respx
import time_machine
from django.db import connection, transaction

from calls.models import Call
from integrations.clinics import reminders
from integrations.jobs import kinds, ledger, reasons, wakeups
from integrations.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Job,
    JobState,
    QuietHoursPolicy,
)
from tests.clawops_api import API, call_created, message_created
from tests.helpers import in_parallel, post_form
from tests.integrations.clinics.reminder_story import book, job, make_clinic, reply, run, seoul

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()



def test_it_plans_the_sms_at_lead_time_and_the_call_after_the_escalation_delay(clinic):
    appointment = book(clinic, seoul(1, 15))
    assert job(kinds.REMINDER_SMS, appointment).next_attempt_at == seoul(1, 14)
    assert job(kinds.REMINDER_CALL, appointment).next_attempt_at == seoul(1, 14, 10)


@respx.mock
def test_it_runs_a_full_cycle_sms_call_and_a_keypress(client, clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created("MGrem1"))
    placed = respx.post(f"{API}/calls").mock(return_value=call_created("CArem1"))
    appointment = book(clinic, seoul(1, 15))

    with time_machine.travel(seoul(1, 14, 0, ), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.DONE
        # The call is not due yet, so nothing happens.
        assert run(kinds.REMINDER_CALL, appointment) == "not claimed"
    sent = json.loads(sms.calls.last.request.content)
    assert (sent["To"], sent["From"]) == ("01055551234", "07052351234")
    assert sent["Body"] == ("[강남연세치과] 김민지님, 12월 1일(화) 15:00 예약이 있습니다. "
                            "확인은 1, 취소는 2로 답장해 주세요. 변경 문의 02-1234-5678")
    appointment.refresh_from_db()
    assert appointment.reminder_message.message_id == "MGrem1"

    with time_machine.travel(seoul(1, 14, 10), tick=False):
        assert run(kinds.REMINDER_CALL, appointment) == JobState.DONE
    body = json.loads(placed.calls.last.request.content)
    assert body["Url"] == f"https://clinic.example.com/voice/reminders/{appointment.pk}/1/"
    assert body["StatusCallback"] == "https://clinic.example.com/webhooks/clawops/"
    assert body["StatusCallbackEvent"] == "initiated ringing answered completed"
    appointment.refresh_from_db()
    assert appointment.reminder_call.call_id == "CArem1"

    # The call's status callbacks land on the same call-log row.
    post_form(client, {"CallId": "CArem1", "CallStatus": "in-progress", "Direction": "outbound",
                       "From": "07052351234", "To": "01055551234"})
    call = Call.objects.get(call_id="CArem1")
    assert call.pk == appointment.reminder_call_id and call.status == "in-progress"

    answer = post_form(client, {"CallId": "CArem1", "Digits": "1"},
                       path=f"/voice/reminders/{appointment.pk}/1/gather/")
    assert answer.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert sms.call_count == placed.call_count == 1


@respx.mock
def test_a_confirmation_before_the_call_step_cancels_the_call(client, clinic):
    placed = respx.post(f"{API}/calls").mock(return_value=call_created())
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        reply(client, "네 확인했습니다")
    with time_machine.travel(seoul(1, 14, 10), tick=False):
        assert run(kinds.REMINDER_CALL, appointment) == JobState.SKIPPED
    assert "확인됨" in reasons.reason_text(job(kinds.REMINDER_CALL, appointment).last_error)
    assert placed.call_count == 0


@respx.mock
@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.CONFIRMED])
def test_it_reminds_no_cancelled_or_confirmed_appointment(clinic, status):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.SKIPPED
    assert sms.call_count == 0


def test_it_sends_earlier_when_the_time_falls_in_quiet_hours(clinic):
    with time_machine.travel(seoul(1, 12), tick=False):
        appointment = book(clinic, seoul(2, 8, 30))  # SMS would be at 07:30, call at 07:40
    # Both steps fit before 21:00: the SMS 10 min before the call, the call 10 min before.
    assert job(kinds.REMINDER_SMS, appointment).next_attempt_at == seoul(1, 20, 40)
    assert job(kinds.REMINDER_CALL, appointment).next_attempt_at == seoul(1, 20, 50)


def test_an_appointment_booked_at_short_notice_still_waits_before_calling(clinic):
    with time_machine.travel(seoul(1, 10), tick=False):
        appointment = book(clinic, seoul(1, 10, 30))  # its SMS time, 09:30, has passed
    assert job(kinds.REMINDER_SMS, appointment).next_attempt_at == seoul(1, 9, 30)
    assert job(kinds.REMINDER_CALL, appointment).next_attempt_at == seoul(1, 10, 10)


@respx.mock
def test_an_error_after_the_request_left_is_not_retried_blindly(clinic, monkeypatch):
    placed = respx.post(f"{API}/calls").mock(return_value=call_created())
    appointment = book(clinic, seoul(1, 15))

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup after the call was placed")

    monkeypatch.setattr("calls.store.record_placed_call", broken)
    with time_machine.travel(seoul(1, 14, 10), tick=False):
        assert run(kinds.REMINDER_CALL, appointment) == JobState.UNKNOWN
    assert placed.call_count == 1


@respx.mock
def test_it_skips_and_records_a_step_in_quiet_hours_where_the_clinic_says_skip(clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    clinic.quiet_hours_policy = QuietHoursPolicy.SKIP
    clinic.save()
    appointment = book(clinic, seoul(2, 8, 30))
    assert job(kinds.REMINDER_SMS, appointment).next_attempt_at == seoul(2, 7, 30)
    with time_machine.travel(seoul(2, 7, 30), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.SKIPPED
    assert job(kinds.REMINDER_SMS, appointment).last_error == reasons.QUIET_HOURS
    assert sms.call_count == 0


@respx.mock
def test_after_downtime_a_step_too_late_is_skipped_not_sent_late(clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    placed = respx.post(f"{API}/calls").mock(return_value=call_created())
    appointment = book(clinic, seoul(1, 15))
    # Down from 13:50 to 14:50: both steps are overdue and the appointment is 10 min away.
    with time_machine.travel(seoul(1, 14, 50), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.SKIPPED
        assert run(kinds.REMINDER_CALL, appointment) == JobState.SKIPPED
    assert job(kinds.REMINDER_SMS, appointment).last_error.startswith("too late")
    assert sms.call_count == placed.call_count == 0


@respx.mock
def test_after_a_short_downtime_a_step_still_useful_is_sent(clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14, 30), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.DONE
    assert sms.call_count == 1


@respx.mock
def test_rescheduling_starts_a_new_cycle_and_outdates_the_old_one(clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    old_sms = job(kinds.REMINDER_SMS, appointment)
    reminders.reschedule(appointment, seoul(2, 11))

    assert appointment.cycle == 2
    with time_machine.travel(seoul(1, 14), tick=False):
        assert ledger.run(old_sms.pk) == JobState.SKIPPED
    with time_machine.travel(seoul(2, 10), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == JobState.DONE
    assert sms.call_count == 1
    assert Job.objects.filter(kind=kinds.REMINDER_SMS).count() == 2


def test_rescheduling_from_an_outdated_copy_still_starts_a_new_cycle(clinic):
    appointment = book(clinic, seoul(1, 15))
    stale = Appointment.objects.get(pk=appointment.pk)
    reminders.reschedule(appointment, seoul(2, 11))
    reminders.reschedule(stale, seoul(3, 11))

    assert stale.cycle == 3
    assert job(kinds.REMINDER_SMS, stale).next_attempt_at == seoul(3, 10)


@respx.mock
def test_send_now_sends_the_reminder_at_once(clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 11), tick=False):
        assert reminders.send_now(appointment)
        assert run(kinds.REMINDER_SMS, appointment) == JobState.DONE
    assert sms.call_count == 1


@respx.mock
@pytest.mark.parametrize(
    ("answer", "state"),
    [(httpx.Response(422, json={"error": "blocked", "code": "recipient_blocked"}),
      JobState.FAILED),
     (httpx.Response(400, json={"error": "bad", "code": "invalid_phone"}), JobState.FAILED),
     (httpx.Response(503, json={"error": "busy"}), JobState.PENDING),
     (httpx.ReadTimeout("no answer"), JobState.UNKNOWN)],
    ids=["recipient_blocked", "invalid_phone", "503", "timeout: may have been sent"],
)
def test_it_classifies_sms_failures_and_never_resends_blindly(clinic, answer, state):
    route = respx.post(f"{API}/messages")
    if isinstance(answer, Exception):
        route.mock(side_effect=answer)
    else:
        route.mock(return_value=answer)
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14), tick=False):
        assert run(kinds.REMINDER_SMS, appointment) == state
    assert route.call_count == 1


@respx.mock
def test_a_worker_that_died_after_sending_leaves_the_sms_for_staff_to_check(clinic):
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14), tick=False):
        claimed = ledger.claim(job(kinds.REMINDER_SMS, appointment).pk)
        ledger.mark_sending(claimed)  # …and the worker is killed here
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        ledger.sweep()
        assert run(kinds.REMINDER_SMS, appointment) == "not claimed"
    assert job(kinds.REMINDER_SMS, appointment).state == JobState.UNKNOWN
    assert sms.call_count == 0


@respx.mock
def test_a_worker_that_died_before_sending_is_replaced_and_sends_once(clinic, monkeypatch):
    monkeypatch.setattr(wakeups, "wake", lambda **kw: False)
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    with time_machine.travel(seoul(1, 14), tick=False):
        ledger.claim(job(kinds.REMINDER_SMS, appointment).pk)  # killed before sending
    with time_machine.travel(seoul(1, 14, 5), tick=False):
        ledger.sweep()
        assert run(kinds.REMINDER_SMS, appointment) == JobState.DONE
    assert sms.call_count == 1


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="needs concurrent transactions (PostgreSQL)")


@postgres_only
@pytest.mark.django_db(transaction=True)
@respx.mock
def test_two_workers_send_one_sms(clinic, monkeypatch):
    monkeypatch.setattr(wakeups, "wake", lambda **kw: False)
    sms = respx.post(f"{API}/messages").mock(return_value=message_created())
    appointment = book(clinic, seoul(1, 15))
    job_id = job(kinds.REMINDER_SMS, appointment).pk
    clock = time_machine.travel(seoul(1, 14), tick=True)
    clock.start()
    states = in_parallel(2, lambda: ledger.run(job_id))
    clock.stop()
    assert sorted(states) == [JobState.DONE, "not claimed"]
    assert sms.call_count == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
@respx.mock
def test_a_confirmation_holding_the_row_makes_the_call_step_wait_and_skip(clinic, monkeypatch):
    monkeypatch.setattr(wakeups, "wake", lambda **kw: False)
    placed = respx.post(f"{API}/calls").mock(return_value=call_created())
    appointment = book(clinic, seoul(1, 15))
    clock = time_machine.travel(seoul(1, 14, 10), tick=True)
    clock.start()
    locked, release = threading.Event(), threading.Event()

    def patient_confirms():
        # The reply's transaction takes the row first and commits a moment later.
        with transaction.atomic():
            Appointment.objects.select_for_update().get(pk=appointment.pk)
            locked.set()
            release.wait(10)
            reminders.apply_answer(appointment.pk, "confirm")
        connection.close()

    confirming = threading.Thread(target=patient_confirms)
    confirming.start()
    assert locked.wait(10)
    timer = threading.Timer(0.5, release.set)
    timer.start()
    state = run(kinds.REMINDER_CALL, appointment)  # blocks on the row lock until commit
    confirming.join(10)
    clock.stop()

    assert state == JobState.SKIPPED
    assert "확인됨" in reasons.reason_text(job(kinds.REMINDER_CALL, appointment).last_error)
    assert placed.call_count == 0
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CONFIRMED


def test_the_sms_text_is_not_html_escaped(clinic):
    clinic.name = "연세&미소치과"
    clinic.save()
    appointment = book(clinic, seoul(1, 15))
    appointment.patient_name = "O'Neil"
    assert reminders.sms_text(appointment).startswith("[연세&미소치과] O'Neil님,")


@postgres_only
@pytest.mark.django_db(transaction=True)
@respx.mock
def test_a_reply_during_the_call_request_is_saved_at_once(clinic, monkeypatch):
    monkeypatch.setattr(wakeups, "wake", lambda **kw: False)
    appointment = book(clinic, seoul(1, 15))
    saved_while_calling = []

    def clawops_is_slow(request):
        # The patient's "네" arrives while ClawOps is still answering the call request.
        def patient_confirms():
            reminders.apply_answer(appointment.pk, "confirm")
            connection.close()

        replying = threading.Thread(target=patient_confirms)
        replying.start()
        replying.join(5)
        saved_while_calling.append(not replying.is_alive())
        return call_created()

    respx.post(f"{API}/calls").mock(side_effect=clawops_is_slow)
    clock = time_machine.travel(seoul(1, 14, 10), tick=True)
    clock.start()
    state = run(kinds.REMINDER_CALL, appointment)
    clock.stop()

    assert state == JobState.DONE
    assert saved_while_calling == [True]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.reminder_call.call_id == "CAremind1"
