"""export_csv on calls, appointments and orders: a CSV Korean Excel opens correctly (UTF-8
with BOM), phone numbers formatted, times in Korean time, no formula can run."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from calls.models import Call
from integrations.audit.models import AuditEntry
from integrations.models import Appointment, Order
from tests.dashboard.seed import NOW, seed_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with time_machine.travel(NOW, tick=False):
        yield seed_day()


def export(client, name: str, pks: list[int], language: str = "ko") -> list[list[str]]:
    response = client.post(reverse(f"admin:{name}_changelist"),
                           {"action": "export_csv", "index": 0, "_selected_action": pks},
                           headers={"Accept-Language": language})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = response.content
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_it_exports_the_selected_calls_in_korean_time_with_numbers_formatted(
        admin_client, seeded):
    missed = Call.objects.get(call_id="CAmiss1")
    late = Call.objects.get(call_id="CAlate")

    header, *rows = export(admin_client, "calls_call", [missed.pk, late.pk])

    assert header[:4] == ["시작", "방향", "고객 번호", "우리 번호"]
    assert rows == [
        ["2026-11-30 09:30", "수신", "010-2222-0000", "070-5235-1234", "응답 없음", "부재중",
         "", "", "", "CAmiss1"],
        ["2026-11-29 23:30", "수신", "010-5555-0000", "070-5235-1234", "응답 없음", "부재중",
         "", "", "", "CAlate"],
    ]


def test_the_export_speaks_the_readers_language(admin_client, seeded):
    call = Call.objects.get(call_id="CAin1")

    header, row = export(admin_client, "calls_call", [call.pk], language="en")

    assert header[:3] == ["Started", "Direction", "Customer number"]
    assert row[1] == "Inbound" and row[4] == "Call completed"


def test_it_exports_appointments_and_orders(admin_client, seeded):
    lee = Appointment.objects.get(patient_name="Lee")
    order = Order.objects.get(order_id="A-1")

    [header, appointment] = export(admin_client, "integrations_appointment", [lee.pk])
    [_, order_row] = export(admin_client, "integrations_order", [order.pk])

    assert header == ["병원", "환자 이름", "전화번호", "예약 시각", "상태", "응답",
                      "직원 확인 사유"]
    assert appointment == ["Happy Dental", "Lee", "010-7777-0000", "2026-11-30 17:00", "확인됨",
                           "문자로", ""]
    assert order_row == ["A-1", "2026-11-30 15:00", "Kim", "010-8888-0000", "Cable", "12000",
                         "연결 안 됨"]


def test_an_orders_items_read_as_on_its_page_in_the_readers_language(admin_client, seeded):
    order = Order.objects.get(order_id="A-1")
    order.items = [{"name": "무선 이어폰"}, {"name": "충전 케이블", "quantity": 2}]
    order.save()

    [_, korean] = export(admin_client, "integrations_order", [order.pk])
    [_, english] = export(admin_client, "integrations_order", [order.pk], language="en")
    page = admin_client.get(reverse("admin:integrations_order_change", args=[order.pk]))

    assert korean[4] == "무선 이어폰, 충전 케이블 2개"
    assert korean[4] in page.content.decode()
    assert english[4] == "무선 이어폰, 충전 케이블 × 2"


def test_an_export_is_audited_by_row_ids_never_contents(admin_client, admin_user, seeded):
    missed = Call.objects.get(call_id="CAmiss1")

    export(admin_client, "calls_call", [missed.pk])

    entry = AuditEntry.objects.get(action="export")
    assert (entry.user, entry.subject) == (admin_user, "calls.Call CSV")
    assert entry.detail == f"1 selected: #{missed.pk}"
    assert "2222" not in entry.detail


def test_a_cell_that_looks_like_a_formula_cannot_run(admin_client, seeded):
    order = Order.objects.get(order_id="A-2")
    order.customer_name = "=HYPERLINK(\"http://evil\")"
    order.save()

    [_, row] = export(admin_client, "integrations_order", [order.pk])

    assert row[2] == "'=HYPERLINK(\"http://evil\")"


def test_the_front_desk_may_export_what_it_may_read(client, seeded):
    call_command("setup_roles", verbosity=0)
    user = User.objects.create_user("desk", password="pw-desk-1", is_staff=True)
    user.groups.add(Group.objects.get(name="프런트 데스크"))
    client.force_login(user)
    call = Call.objects.get(call_id="CAin1")

    [_, row] = export(client, "calls_call", [call.pk])

    assert row[-1] == "CAin1"


def test_a_large_export_is_audited_with_its_full_count(admin_client):
    calls = Call.objects.bulk_create(
        Call(call_id=f"CAbulk{i}", direction="inbound", status="completed", duration=30,
             from_number="01011110000", to_number="07052351234", started_at=NOW)
        for i in range(205))

    rows = export(admin_client, "calls_call", [c.pk for c in calls])

    assert len(rows) == 1 + 205
    detail = AuditEntry.objects.get(action="export").detail
    assert detail.startswith("205 selected: #")
    assert detail.endswith(", …")
    assert detail.count("#") == 200
