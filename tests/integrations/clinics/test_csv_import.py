"""Reading a day's appointments from CSV: integrations/clinics/csv_import.py."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from calls.phone import korean_number
from integrations.clinics import csv_import
from integrations.clinics.csv_import import (
    FileProblem,
    RowError,
    parse_starts_at,
)
from integrations.jobs import kinds
from integrations.models import Appointment, Clinic, Job

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=SEOUL)
HEADER = "clinic,patient_name,phone,starts_at\n"
CLINICS = [Clinic(pk=1, name="서울치과"), Clinic(pk=2, name="부산한의원")]


def read(text: str, encoding: str = "utf-8") -> tuple[list, list[RowError]]:
    return csv_import.read(text.encode(encoding), CLINICS, NOW)


def errors_by_row(errors: list[RowError]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in errors:
        found.setdefault(error.row, []).append((error.column, error.message))
    return found


# --- single values -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["010-1234-5678", "01012345678", "+82 10 1234 5678",
                                 "+82-10-1234-5678", " 010.1234.5678 "])
def test_it_accepts_a_mobile_number_in_any_common_form(raw):
    assert korean_number(raw) == "01012345678"


@pytest.mark.parametrize("raw, number", [("02-123-4567", "021234567"),
                                         ("031-123-4567", "0311234567"),
                                         ("1588-1234", "15881234")])
def test_it_accepts_landlines_and_representative_numbers(raw, number):
    assert korean_number(raw) == number


@pytest.mark.parametrize("raw", ["", "없음", "+1 415 555 0100", "010-1234", "0101234567890",
                                 "12345678901", "sip:alice@example.com", "0000000000",
                                 "09912345678", "1234-5678"])
def test_it_rejects_what_is_not_a_korean_number(raw):
    with pytest.raises(ValueError):
        korean_number(raw)


@pytest.mark.parametrize("text", ["2026-11-27 09:30", "2026-11-27T09:30", "2026-11-27 9:30",
                                  "2026-11-27 09:30:00", "2026/11/27 09:30", "2026.11.27 09:30",
                                  "2026. 11. 27. 9:30", "2026-11-27 오전 9:30:00",
                                  "2026-11-27 9:30 AM"])
def test_it_reads_times_as_korean_wall_clock(text):
    assert parse_starts_at(text) == datetime(2026, 11, 27, 9, 30, tzinfo=SEOUL)


def test_it_reads_a_korean_afternoon_and_noon():
    assert parse_starts_at("2026-12-04 오후 3:00:00") == datetime(2026, 12, 4, 15, 0, tzinfo=SEOUL)
    assert parse_starts_at("2026.12.04 15:00") == datetime(2026, 12, 4, 15, 0, tzinfo=SEOUL)
    assert parse_starts_at("2026/12/04 오후 12:30") == datetime(2026, 12, 4, 12, 30, tzinfo=SEOUL)
    assert parse_starts_at("2026-12-04 오전 12:30") == datetime(2026, 12, 4, 0, 30, tzinfo=SEOUL)


@pytest.mark.parametrize("text", ["2026-11-27 오후 13:00", "27.11.2026 09:30", "2026-11-27",
                                  "2026-02-30 09:00", "2026-11-27 25:00", "내일 9시"])
def test_it_rejects_other_time_formats_and_impossible_dates(text):
    with pytest.raises(ValueError):
        parse_starts_at(text)


# --- the file ----------------------------------------------------------------------------


def test_it_reads_valid_rows_with_clinics_by_name_or_id():
    valid, errors = read(HEADER + "서울치과,김민수,010-1111-2222,2026-11-27 09:30\n"
                                  "2,이영희,+82 10 3333 4444,2026-11-27T10:00\n")

    assert errors == []
    assert [(r.row, r.clinic.name, r.patient_name, r.phone, r.phone_raw, r.starts_at)
            for r in valid] == [
        (2, "서울치과", "김민수", "01011112222", "010-1111-2222",
         datetime(2026, 11, 27, 9, 30, tzinfo=SEOUL)),
        (3, "부산한의원", "이영희", "01033334444", "+82 10 3333 4444",
         datetime(2026, 11, 27, 10, 0, tzinfo=SEOUL)),
    ]


def test_it_reads_utf8_with_the_bom_excel_writes():
    valid, errors = csv_import.read(
        "\ufeff".encode() + (HEADER + "서울치과,김민수,01011112222,2026-11-27 09:30\n").encode(),
        CLINICS, NOW,
    )

    assert errors == []
    assert valid[0].patient_name == "김민수"


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr"])
def test_it_reads_the_cp949_files_korean_excel_saves(encoding):
    valid, errors = read(HEADER + "서울치과,김민수,01011112222,2026-11-27 09:30\n", encoding)

    assert errors == []
    assert (valid[0].clinic.name, valid[0].patient_name) == ("서울치과", "김민수")


def test_it_accepts_korean_headers_in_any_order_and_ignores_extra_columns():
    valid, errors = read("전화번호,예약 시각,메모,환자 이름,병원\n"
                         "010-1111-2222,2026-11-27 09:30,첫 방문,김민수,서울치과\n")

    assert errors == []
    assert (valid[0].patient_name, valid[0].phone) == ("김민수", "01011112222")


def test_it_refuses_a_file_without_the_header_row():
    with pytest.raises(FileProblem, match="머리글"):
        read("서울치과,김민수,010-1111-2222,2026-11-27 09:30\n")


def test_it_refuses_an_empty_file_and_undecodable_bytes():
    with pytest.raises(FileProblem):
        csv_import.read(b"", CLINICS, NOW)
    with pytest.raises(FileProblem, match="UTF-8"):
        csv_import.read(b"\xff\xfe\xff\xff\x00\x81", CLINICS, NOW)


def test_it_reports_every_bad_row_and_keeps_the_good_ones():
    valid, errors = read(
        HEADER
        + "서울치과,김민수,010-1111-2222,2026-11-27 09:30\n"  # 2: fine
        + "없는병원,박지성,010-2222-3333,2026-11-27 10:00\n"  # 3: unknown clinic
        + "서울치과,,010-3333-4444,2026-11-27 10:30\n"  # 4: missing name
        + "서울치과,최수영,02-12,2026-11-27 11:00\n"  # 5: bad phone
        + "서울치과,정우성,010-4444-5555,11/27 11:30\n"  # 6: bad time
        + "서울치과,한가인,010-5555-6666,2026-11-26 09:00\n"  # 7: in the past
        + ",,,\n"  # an empty Excel row: passed over
        + "부산한의원,강동원,010-6666-7777\n"  # 9: short row, no time
        + "2,송혜교,010-7777-8888,2026-11-28 09:00\n"  # 10: fine
    )

    assert [row.row for row in valid] == [2, 10]
    found = errors_by_row(errors)
    assert sorted(found) == [3, 4, 5, 6, 7, 9]
    assert found[3] == [("clinic", "'없는병원' 병원이 없습니다.")]
    assert found[4] == [("patient_name", "환자 이름이 비어 있습니다.")]
    assert found[5][0][0] == "phone" and "02-12" in found[5][0][1]
    assert found[6][0][0] == "starts_at" and "형식" in found[6][0][1]
    assert found[7] == [("starts_at", "'2026-11-26 09:00'은(는) 이미 지난 시각입니다.")]
    assert found[9] == [("starts_at", "예약 시각이 비어 있습니다.")]


def test_it_refuses_a_time_outside_the_booking_window_quoting_the_cell():
    valid, errors = read(
        HEADER
        + "서울치과,김민수,010-1111-2222,9999-12-31 10:00\n"  # 2: a year no clinic books
        + "서울치과,이영희,010-2222-3333,2028-11-28 10:00\n"  # 3: a year typed wrong
        + "서울치과,박지성,010-3333-4444,0001-01-01 10:00\n"  # 4: the calendar's first year
        + "서울치과,최수영,010-4444-5555,2028-11-25 10:00\n"  # 5: within two years: fine
    )

    assert [row.row for row in valid] == [5]
    assert errors_by_row(errors) == {
        2: [("starts_at", "'9999-12-31 10:00'은(는) 2년 넘게 뒤의 시각입니다. "
                          "날짜를 확인해 주세요.")],
        3: [("starts_at", "'2028-11-28 10:00'은(는) 2년 넘게 뒤의 시각입니다. "
                          "날짜를 확인해 주세요.")],
        4: [("starts_at", "'0001-01-01 10:00'은(는) 이미 지난 시각입니다.")],
    }


def test_it_reports_all_problems_of_one_row_together():
    _, errors = read(HEADER + ",,없음,어제\n")

    assert [(e.row, e.column, e.column_label) for e in errors] == [
        (2, "clinic", "병원"), (2, "patient_name", "환자 이름"),
        (2, "phone", "전화번호"), (2, "starts_at", "예약 시각"),
    ]


def test_it_asks_for_the_id_when_two_clinics_share_a_name():
    clinics = [*CLINICS, Clinic(pk=3, name="서울치과")]

    _, errors = csv_import.read(
        (HEADER + "서울치과,김민수,01011112222,2026-11-27 09:30\n").encode(), clinics, NOW)

    assert "번호(id)" in errors[0].message


def test_it_numbers_rows_like_excel_even_with_a_line_break_in_a_cell():
    _, errors = read(HEADER + '서울치과,"김\n민수",01011112222,2026-11-27 09:30\n'
                              "없는병원,이영희,01033334444,2026-11-27 10:00\n")

    assert [error.row for error in errors] == [3]


# --- into the database -------------------------------------------------------------------


@pytest.fixture
def clinic(db) -> Clinic:
    return Clinic.objects.create(name="서울치과", phone="02-123-4567", from_number="07012345678")


def test_it_creates_the_valid_rows_with_their_reminders_planned(clinic):
    data = (HEADER + "서울치과,김민수,010-1111-2222,2026-11-27 09:30\n"
                     "없는병원,이영희,010-3333-4444,2026-11-27 10:00\n").encode("cp949")

    report = csv_import.import_appointments(data, now=NOW)

    assert [a.patient_name for a in report.created] == ["김민수"]
    assert [(e.row, e.column) for e in report.errors] == [(3, "clinic")]
    appointment = Appointment.objects.get()
    assert (appointment.phone, appointment.phone_raw) == ("01011112222", "010-1111-2222")
    assert appointment.starts_at == datetime(2026, 11, 27, 9, 30, tzinfo=SEOUL)
    subject = f"appointment:{appointment.pk}:cycle:1"
    assert set(Job.objects.filter(subject=subject).values_list("kind", flat=True)) == {
        kinds.REMINDER_SMS, kinds.REMINDER_CALL}


def test_it_skips_duplicates_of_stored_appointments_and_of_earlier_rows(clinic):
    Appointment.objects.create(clinic=clinic, patient_name="김민수", phone="01011112222",
                               starts_at=datetime(2026, 11, 27, 9, 30, tzinfo=SEOUL))
    data = (HEADER
            + "서울치과,김민수,+82 10 1111 2222,2026-11-27T09:30\n"  # stored already
            + "서울치과,이영희,010-3333-4444,2026-11-27 10:00\n"
            + f"{clinic.pk},이영희(보호자),01033334444,2026-11-27 10:00\n"  # same as row 3
            + "서울치과,이영희,010-3333-4444,2026-11-27 11:00\n").encode()  # another time

    report = csv_import.import_appointments(data, now=NOW)

    assert [(d.row, d.note) for d in report.duplicates] == [
        (2, "이미 등록된 예약과 같아 건너뜀"), (4, "3행과 같아 건너뜀")]
    assert [a.starts_at.astimezone(SEOUL).hour for a in report.created] == [10, 11]
    assert Appointment.objects.count() == 3


def test_it_imports_nothing_twice_when_the_same_file_is_uploaded_again(clinic):
    data = (HEADER + "서울치과,김민수,010-1111-2222,2026-11-27 09:30\n").encode()

    first = csv_import.import_appointments(data, now=NOW)
    second = csv_import.import_appointments(data, now=NOW)

    assert (len(first.created), len(second.created), len(second.duplicates)) == (1, 0, 1)
    assert Job.objects.count() == 2
