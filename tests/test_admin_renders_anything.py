"""Admin renders anything a row can hold: dates at the edges of the calendar, NUL, lone
surrogates, invalid UTF-8, huge numbers and huge bodies; and a NUL byte in a list filter
is a clear 400, not a 500."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from calls.models import Call, CallEvent, Message, WebhookDelivery
from integrations.models import Appointment, Clinic, Job, Order
from tests.admin_pages import admin_page_urls, nul_filter_urls, server_errors

pytestmark = pytest.mark.django_db
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@pytest.fixture
def staff() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def delivery(body: bytes, scheme: str = "clawops-signature", **fields) -> WebhookDelivery:
    content_type = ("application/json" if scheme == "clawops-signature"
                    else "application/x-www-form-urlencoded")
    return WebhookDelivery.objects.create(
        scheme=scheme, content_type=content_type, url="https://clinic.example.com/webhooks/",
        body=body, kind="unknown", outcome="failed", error="x", **fields)


@pytest.fixture
def hostile_rows() -> None:
    for index, moment in enumerate((LATEST, EARLIEST)):
        call = Call.objects.create(
            call_id=f"CAedge{index}", direction="inbound", status="completed",
            duration=2_000_000_000, started_at=moment, answered_at=moment, ended_at=moment,
            from_number="01055551234")
        CallEvent.objects.create(call=call, kind="status", status="completed",
                                 occurred_at=moment, received_at=moment,
                                 details={"deep": [[[[["x"]]]]], "n": 10**18})
        Message.objects.create(message_id=f"MGedge{index}", status="received",
                               body="가" * 5000, created_at=moment)
        delivery(b'{"a": "x"}', received_at=moment, call=call)
        clinic = Clinic.objects.create(name=f"병원{index}", phone="0212345678",
                                       from_number="07052351234")
        # The latest a staff member can enter: 9999-12-31 23:59 in Korean time.
        Appointment.objects.create(clinic=clinic, patient_name="김민지", phone="01055551234",
                                   starts_at=min(moment, LATEST - timedelta(hours=9)))
        Job.objects.create(kind="slack.missed_call", subject=f"edge{index}",
                           next_attempt_at=moment, payload={"n": 10**18})
    delivery(b'{"from": "\\ud800", "to": "\\udfff\\u0000"}')
    delivery(b'{"nested": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    delivery(b"\xff\xfe not utf-8 \x00")
    delivery(b'{"n": ' + b"9" * 5000 + b"}")
    delivery(json.dumps({"body": "가" * 80_000}, ensure_ascii=False).encode())
    delivery(b"CallId=CA1&From=%ED%A0%80&To=%00&Body=%FF", scheme="x-signature")
    delivery(b"no=equals&&&=&%", scheme="x-signature")
    Order.objects.create(order_id="A-edge", customer_name="김민지", customer_phone="01055551234",
                         items=[{"name": "<script>alert(1)</script>", "quantity": 10**9}],
                         total_price=2_147_483_647, raw_body=b"\xff\x00")


def test_it_opens_every_list_and_page_whatever_the_rows_hold(staff, hostile_rows):
    assert server_errors(staff, admin_page_urls()) == {}


def test_it_answers_400_to_a_nul_byte_in_any_list_filter_or_search(staff, hostile_rows):
    urls = list(nul_filter_urls())
    assert "/admin/calls/call/?status__exact=%00" in urls
    assert server_errors(staff, iter(urls)) == {}
    assert staff.get("/admin/calls/call/?status__exact=%00").status_code == 400


def test_it_shows_a_bounded_preview_of_a_huge_body_and_offers_the_raw_bytes(staff):
    body = json.dumps({"body": "가" * 80_000}, ensure_ascii=False).encode()
    big = delivery(body)

    page = staff.get(f"/admin/calls/webhookdelivery/{big.pk}/change/")
    assert page.status_code == 200
    assert len(page.content) < len(body)
    download_url = f"/admin/calls/webhookdelivery/{big.pk}/body/"
    assert download_url in page.content.decode()

    download = staff.get(download_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content if download.streaming else [download.content]) \
        == body


def test_it_shows_lone_surrogates_and_nul_as_escapes(staff):
    odd = delivery(b'{"from": "\\ud800", "to": "a\\u0000b"}')
    page = staff.get(f"/admin/calls/webhookdelivery/{odd.pk}/change/")
    assert page.status_code == 200
    assert "\\ud800" in page.content.decode()


def test_it_offers_the_raw_bytes_only_to_staff_who_may_see_deliveries(hostile_rows):
    body_url = f"/admin/calls/webhookdelivery/{WebhookDelivery.objects.first().pk}/body/"
    assert Client().get(body_url).status_code == 302  # to the login page
    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    client = Client()
    client.force_login(clerk)
    assert client.get(body_url).status_code == 403


def test_it_shows_times_far_from_now_without_overflowing():
    from calls.admin_display import seoul_time
    assert seoul_time(LATEST) == "9999-12-31 23:59 UTC"
    assert seoul_time(EARLIEST).startswith("1-01-01")  # in Korean local mean time, no error
