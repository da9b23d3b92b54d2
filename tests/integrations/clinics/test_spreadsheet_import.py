"""The appointment import reads Excel workbooks (.xlsx) and offers one as a template."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from integrations.clinics.spreadsheets import XLSX_CONTENT_TYPE
from integrations.models import Appointment
from tests.integrations.clinics.admin_pages import IMPORT, seoul

pytestmark = pytest.mark.django_db
TEMPLATE = reverse("admin:integrations_appointment_import_template")


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "day.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data,
                                                           content_type=XLSX_CONTENT_TYPE)})


def test_it_imports_a_workbook_with_date_cells_and_korean_date_text(admin_client, clinic,
                                                                  morning):
    data = workbook(
        ["병원", "환자 이름", "전화번호", "예약 시각"],
        ["서울치과", "김민수", "010-1111-2222", datetime(2026, 11, 27, 9, 30)],  # a date cell
        ["서울치과", "이영희", "01033334444", "2026.11.27 10:00"],
        ["서울치과", "박지성", 1022223333, "2026/11/27 10:30"],  # a number cell: no 0
        ["서울치과", "최수영", "010-4444-5555", "2026-11-27 오후 3:00:00"],
        ["서울치과", "정우성", "010-5555-6666", "내일 11시"],
    )

    response = upload(admin_client, data)

    assert response.status_code == 200
    report = response.context["report"]
    assert {(a.patient_name, a.phone, a.starts_at) for a in report.created} == {
        ("김민수", "01011112222", seoul(11, 27, 9, 30)),
        ("이영희", "01033334444", seoul(11, 27, 10)),
        ("박지성", "01022223333", seoul(11, 27, 10, 30)),
        ("최수영", "01044445555", seoul(11, 27, 15)),
    }
    assert [(e.row, e.column) for e in report.errors] == [(6, "starts_at")]
    assert Appointment.objects.count() == 4


def test_a_file_that_is_not_a_workbook_is_refused_with_a_clear_error(admin_client, clinic,
                                                                     morning):
    response = upload(admin_client, b"PK\x03\x04 not really a zip")

    assert "엑셀 파일을 읽을 수 없습니다" in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_offers_a_template_that_imports_as_it_is(admin_client, clinic, morning):
    page = admin_client.get(IMPORT).content.decode()
    assert f'href="{TEMPLATE}"' in page

    response = admin_client.get(TEMPLATE)

    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["병원", "환자 이름", "전화번호", "예약 시각"]
    assert rows[1][0] == "서울치과"
    assert upload(admin_client, response.content).context["report"].errors == []
    assert Appointment.objects.get().patient_name == "홍길동"


def test_the_template_speaks_the_readers_language(admin_client, clinic, morning):
    response = admin_client.get(TEMPLATE, headers={"Accept-Language": "en"})

    header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(header) == ["Clinic", "Patient name", "Phone number", "Appointment time"]
