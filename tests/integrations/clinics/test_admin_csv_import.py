"""Importing a day's appointments as CSV from the appointment list."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from integrations.models import (
    Appointment,
    Job,
    JobState,
)
from tests.integrations.clinics.admin_pages import (
    APPOINTMENTS,
    IMPORT,
)

pytestmark = pytest.mark.django_db

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
