"""/api/v1/appointments/: a booking system pushes, moves, cancels and reads appointments;
each one is reminded like one entered in admin."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from integrations.clinics import reminders
from integrations.jobs import kinds, reasons
from integrations.models import Appointment, AppointmentStatus, Job, JobState
from tests.helpers import in_parallel
from tests.integrations.api.api_client import (
    NEW_APPOINTMENT,
    SOON,
    Api,
    assert_problem,
    clinic_with_key,
    stored,
)

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
PATH = "/api/v1/appointments/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL), tick=False):
        yield


@pytest.fixture
def api() -> Api:
    _clinic, key = clinic_with_key()
    return Api(key)


def with_field(**changes) -> dict:
    return {**NEW_APPOINTMENT, **changes}


def without(name: str) -> dict:
    return {k: v for k, v in NEW_APPOINTMENT.items() if k != name}


# --- create ----------------------------------------------------------------------------------


def test_it_creates_an_appointment_with_its_reminders_planned(api):
    response = api.post(PATH, NEW_APPOINTMENT)

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{PATH}B-1001/"
    appointment = Appointment.objects.get()
    assert body["id"] == appointment.pk
    assert body["external_id"] == "B-1001"
    assert body["patient_name"] == "김민지"
    assert body["phone"] == "01055551234"
    assert body["starts_at"] == SOON
    assert body["status"] == "scheduled"
    assert body["cycle"] == 1
    assert body["reminders"]["sms"] == {"state": "pending",
                                        "due_at": "2026-12-01T14:00:00+09:00",
                                        "finished_at": None}
    assert body["reminders"]["call"]["due_at"] == "2026-12-01T14:10:00+09:00"
    assert appointment.phone_raw == "010-5555-1234"
    jobs = Job.objects.filter(subject=reminders.subject(appointment))
    assert sorted(jobs.values_list("kind", flat=True)) == [kinds.REMINDER_CALL,
                                                           kinds.REMINDER_SMS]


def test_it_plans_exactly_what_admin_plans_for_the_same_appointment(api, admin_client):
    api.post(PATH, NEW_APPOINTMENT)
    clinic = Appointment.objects.get().clinic
    admin_client.post("/admin/integrations/appointment/add/", {
        "clinic": clinic.pk, "patient_name": "김민지", "phone": "010-5555-1234",
        "starts_at_0": "2026-12-01", "starts_at_1": "15:00"})

    by_api, by_admin = Appointment.objects.order_by("pk")
    assert by_admin.external_id is None

    def planned(appointment):
        return sorted((job.kind, job.next_attempt_at, job.payload["cycle"]) for job in
                      Job.objects.filter(subject=reminders.subject(appointment)))

    assert planned(by_api) == planned(by_admin)
    assert len(planned(by_api)) == 2


@pytest.mark.parametrize("phone", ["01055551234", "+82 10-5555-1234", "(010) 5555 1234",
                                   "010.5555.1234"])
def test_it_accepts_korean_numbers_in_any_common_format(api, phone):
    assert api.post(PATH, with_field(phone=phone)).status_code == 201
    assert Appointment.objects.get().phone == "01055551234"


def test_the_same_appointment_sent_again_answers_200_with_the_same_row(api):
    first = api.post(PATH, NEW_APPOINTMENT).json()
    # The same content in other spellings: another phone format, the same instant in UTC.
    again = api.post(PATH, with_field(phone="+82 10 5555 1234",
                                      starts_at="2026-12-01T06:00:00Z"))

    assert again.status_code == 200
    assert again.json() == first
    assert stored() == (1, 2)


def test_the_same_external_id_with_other_content_answers_409_naming_what_differs(api):
    api.post(PATH, NEW_APPOINTMENT)
    before = list(Appointment.objects.values())

    response = api.post(PATH, with_field(starts_at="2026-12-01T16:00:00+09:00",
                                         patient_name="김민수"))

    body = assert_problem(response, 409)
    assert set(body["errors"]) == {"starts_at", "patient_name"}
    assert SOON in body["errors"]["starts_at"][0]
    assert list(Appointment.objects.values()) == before
    assert stored() == (1, 2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_copies_sent_in_parallel_make_one_appointment_and_one_plan():
    _clinic, key = clinic_with_key()

    statuses = sorted(r.status_code for r in in_parallel(
        8, lambda: Api(key).post(PATH, NEW_APPOINTMENT)))

    assert statuses == [200] * 7 + [201]
    assert stored() == (1, 2)


def test_two_clinics_may_use_the_same_external_id(api):
    _other, other_key = clinic_with_key("서초바른이비인후과", from_number="07011112222")
    assert api.post(PATH, NEW_APPOINTMENT).status_code == 201
    assert Api(other_key).post(PATH, NEW_APPOINTMENT).status_code == 201
    assert stored() == (2, 4)


@pytest.mark.parametrize(("body", "field"), [
    (without("external_id"), "external_id"),
    (with_field(external_id=""), "external_id"),
    (with_field(external_id="B 1001"), "external_id"),
    (with_field(external_id="B/1001"), "external_id"),
    (with_field(external_id="-B1001"), "external_id"),
    (with_field(external_id="B" * 65), "external_id"),
    (with_field(external_id=1001), "external_id"),
    (with_field(external_id=None), "external_id"),
    (without("patient_name"), "patient_name"),
    (with_field(patient_name="   "), "patient_name"),
    (with_field(patient_name="김" * 101), "patient_name"),
    (with_field(patient_name="김\x00민지"), "patient_name"),
    (with_field(patient_name=["김민지"]), "patient_name"),
    (without("phone"), "phone"),
    (with_field(phone="+1 415 555 0100"), "phone"),
    (with_field(phone="전화 없음"), "phone"),
    (with_field(phone="1234"), "phone"),
    (with_field(phone=1055551234), "phone"),
    (without("starts_at"), "starts_at"),
    (with_field(starts_at="2026-12-01 15:00"), "starts_at"),  # no offset
    (with_field(starts_at="2026-12-01T15:00:00"), "starts_at"),
    (with_field(starts_at="내일 오후 3시"), "starts_at"),
    (with_field(starts_at="2026-02-30T15:00:00+09:00"), "starts_at"),
    (with_field(starts_at="2026-11-30T09:00:00+09:00"), "starts_at"),  # passed
    (with_field(starts_at="2029-12-01T15:00:00+09:00"), "starts_at"),  # years ahead
    (with_field(starts_at="0001-01-01T00:00:00+09:00"), "starts_at"),
    (with_field(starts_at="9999-12-31T23:59:59+09:00"), "starts_at"),
    (with_field(starts_at=1764568800), "starts_at"),
    (with_field(clinic=2), "clinic"),  # unknown fields are refused, not ignored
])
def test_it_answers_400_naming_the_wrong_field_and_stores_nothing(api, body, field):
    response = api.post(PATH, body)

    problem = assert_problem(response, 400)
    assert list(problem["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in problem["errors"][field])
    assert stored() == (0, 0)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "More than two years ahead; check the date."),
    ("ko", "2년 넘게 뒤의 시각입니다. 날짜를 확인해 주세요."),
])
def test_a_time_years_ahead_is_refused_in_the_clients_language(api, language, message):
    response = api.post(PATH, with_field(starts_at="2028-12-01T15:00:00+09:00"),
                        **{"Accept-Language": language})

    assert assert_problem(response, 400)["errors"] == {"starts_at": [message]}
    assert stored() == (0, 0)


def test_it_lists_every_wrong_field_at_once(api):
    response = api.post(PATH, {"external_id": "", "phone": "12", "starts_at": "x"})

    problem = assert_problem(response, 400)
    assert set(problem["errors"]) == {"external_id", "patient_name", "phone", "starts_at"}
    assert stored() == (0, 0)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"B-1001"', b"null"])
def test_it_answers_400_for_a_body_that_is_not_a_json_object(api, body):
    problem = assert_problem(api.post(PATH, body), 400)
    assert list(problem["errors"]) == ["body"]
    assert stored() == (0, 0)


def test_it_answers_415_for_a_body_that_is_not_json(api):
    response = api.post(PATH, b"external_id=B-1001",
                        content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)
    assert stored() == (0, 0)


def test_it_refuses_a_body_over_256_kib_and_stores_nothing(api):
    body = with_field(patient_name="가" * 100_000)
    response = api.post(PATH, body)
    assert_problem(response, 413)
    assert stored() == (0, 0)


# --- read ----------------------------------------------------------------------------------


def book(api: Api, external_id: str, starts_at: str) -> dict:
    response = api.post(PATH, with_field(external_id=external_id, starts_at=starts_at))
    assert response.status_code == 201, response.content
    return response.json()


def test_it_lists_a_day_in_korean_time_oldest_first(api):
    book(api, "late", "2026-12-01T23:30:00+09:00")
    book(api, "early", "2026-12-01T00:10:00+09:00")
    book(api, "next-day", "2026-12-02T00:00:00+09:00")
    book(api, "utc-same-day", "2026-11-30T15:10:00Z")  # 2026-12-01 00:10 in Seoul

    response = api.get(PATH, {"date": "2026-12-01"})

    assert response.status_code == 200
    ids = [row["external_id"] for row in response.json()["results"]]
    assert ids == ["early", "utc-same-day", "late"]


def test_it_filters_by_status(api):
    book(api, "kept", SOON)
    book(api, "called-off", "2026-12-01T16:00:00+09:00")
    api.delete(f"{PATH}called-off/")

    cancelled = api.get(PATH, {"status": "cancelled"}).json()["results"]
    scheduled = api.get(PATH, {"status": "scheduled"}).json()["results"]

    assert [row["external_id"] for row in cancelled] == ["called-off"]
    assert [row["external_id"] for row in scheduled] == ["kept"]


def test_it_pages_with_a_cursor(api):
    for hour in range(9, 14):
        book(api, f"B-{hour}", f"2026-12-01T{hour:02d}:00:00+09:00")

    first = api.get(PATH, {"page_size": 2}).json()
    seen = [row["external_id"] for row in first["results"]]
    next_url = first["next"]
    while next_url:
        page = api.get(next_url).json()
        seen += [row["external_id"] for row in page["results"]]
        next_url = page["next"]

    assert first["previous"] is None
    assert seen == ["B-9", "B-10", "B-11", "B-12", "B-13"]


@pytest.mark.parametrize(("params", "field"), [
    ({"date": "2026-12-32"}, "date"),
    ({"date": "tomorrow"}, "date"),
    ({"status": "done"}, "status"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_it_answers_400_for_a_bad_query_parameter(api, params, field):
    problem = assert_problem(api.get(PATH, params), 400)
    assert list(problem["errors"]) == [field]


def test_it_reads_one_appointment_by_external_id(api):
    created = book(api, "B-1001", SOON)
    response = api.get(f"{PATH}B-1001/")
    assert response.status_code == 200
    assert response.json() == created


def test_it_answers_404_for_an_unknown_external_id(api):
    assert_problem(api.get(f"{PATH}B-404/"), 404)


# --- change and cancel -------------------------------------------------------------------------


def test_a_new_time_starts_a_new_reminder_cycle(api):
    book(api, "B-1001", SOON)
    appointment = Appointment.objects.get()
    old_subject = reminders.subject(appointment)

    response = api.patch(f"{PATH}B-1001/", {"starts_at": "2026-12-02T10:30:00+09:00"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["starts_at"] == "2026-12-02T10:30:00+09:00"
    assert body["cycle"] == 2
    assert body["reminders"]["sms"]["due_at"] == "2026-12-02T09:30:00+09:00"
    appointment.refresh_from_db()
    assert Job.objects.filter(subject=reminders.subject(appointment)).count() == 2
    assert Job.objects.filter(subject=old_subject).count() == 2  # outdated, skipped when due


def test_the_same_time_again_starts_no_new_cycle(api):
    book(api, "B-1001", SOON)
    response = api.patch(f"{PATH}B-1001/", {"starts_at": "2026-12-01T06:00:00Z"})
    assert response.json()["cycle"] == 1
    assert Job.objects.count() == 2


def test_a_new_name_or_number_changes_the_row_and_keeps_the_cycle(api):
    book(api, "B-1001", SOON)

    response = api.patch(f"{PATH}B-1001/", {"patient_name": "김민수", "phone": "010 7777 8888"})

    assert response.status_code == 200
    appointment = Appointment.objects.get()
    assert (appointment.patient_name, appointment.phone, appointment.phone_raw, appointment.cycle
            ) == ("김민수", "01077778888", "010 7777 8888", 1)


@pytest.mark.parametrize(("body", "field"), [
    ({"starts_at": "2026-11-29T10:00:00+09:00"}, "starts_at"),
    ({"starts_at": "9999-12-01T10:00:00+09:00"}, "starts_at"),
    ({"phone": "12"}, "phone"),
    ({"patient_name": ""}, "patient_name"),
    ({"external_id": "B-2"}, "external_id"),
    ({"status": "confirmed"}, "status"),
])
def test_a_bad_change_answers_400_and_changes_nothing(api, body, field):
    book(api, "B-1001", SOON)
    before = list(Appointment.objects.values())

    problem = assert_problem(api.patch(f"{PATH}B-1001/", body), 400)

    assert list(problem["errors"]) == [field]
    assert list(Appointment.objects.values()) == before
    assert Job.objects.count() == 2


def test_delete_cancels_keeps_the_row_and_sends_nothing_more(api):
    book(api, "B-1001", SOON)

    response = api.delete(f"{PATH}B-1001/")
    again = api.delete(f"{PATH}B-1001/")

    assert response.status_code == again.status_code == 200
    assert response.json()["status"] == "cancelled"
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.CANCELLED
    sms = Job.objects.get(kind=kinds.REMINDER_SMS)
    with time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=SEOUL), tick=False):
        from integrations.jobs import ledger

        assert ledger.run(sms.pk) == JobState.SKIPPED
    sms.refresh_from_db()
    assert sms.last_error == reasons.appointment_status(AppointmentStatus.CANCELLED)


def test_put_is_not_allowed_and_changes_nothing(api):
    book(api, "B-1001", SOON)
    before = list(Appointment.objects.values())
    response = api.client.put(f"{PATH}B-1001/", data="{}", content_type="application/json",
                              headers=api.headers)
    assert_problem(response, 405)
    assert "PATCH" in response["Allow"]
    assert list(Appointment.objects.values()) == before


# --- another clinic's rows ---------------------------------------------------------------------


def test_a_key_never_sees_or_changes_another_clinics_appointments(api):
    _other, other_key = clinic_with_key("서초바른이비인후과", from_number="07011112222")
    other = Api(other_key)
    book(other, "B-1001", SOON)
    before = list(Appointment.objects.values())

    assert api.get(PATH).json()["results"] == []
    assert_problem(api.get(f"{PATH}B-1001/"), 404)
    assert_problem(api.patch(f"{PATH}B-1001/", {"patient_name": "남의 환자"}), 404)
    assert_problem(api.delete(f"{PATH}B-1001/"), 404)
    assert list(Appointment.objects.values()) == before
    assert Job.objects.count() == 2
