"""The order in admin: as sent, its calls with their status, its jobs, what was said."""

import pytest
import respx
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Summary, Transcript
from integrations.jobs import kinds, ledger
from integrations.models import Job, Order, OrderStatus
from integrations.orders import confirmation_calls
from tests.clawops_api import API, call_created
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
FROM = "07052351234"


@pytest.fixture(autouse=True)
def order_settings(settings):
    settings.CLAWOPS_FROM_NUMBER = FROM
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_order"
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec_test"]


@pytest.fixture
def answered_order(client) -> Order:
    order, _ = confirmation_calls.receive(
        order_id="A-1024", customer_name="김민지", customer_phone="01055551234",
        customer_phone_raw="010-5555-1234", items=[{"name": "충전 케이블", "quantity": 2}],
        total_price=12000, raw_body=b'{"order_id": "A-1024"}',
    )
    with respx.mock:
        respx.post(f"{API}/calls").mock(return_value=call_created("CAorder1"))
        ledger.run(Job.objects.get().pk)
    for fields in ({"CallStatus": "in-progress"},
                   {"CallStatus": "completed", "CallDuration": "95", "AnsweredBy": "human"}):
        post_form(client, {"CallId": "CAorder1", "Direction": "outbound", "From": FROM,
                           "To": "01055551234", **fields})
    # The worker's part: the settlement the call's end added to the ledger.
    ledger.run(Job.objects.get(kind=kinds.ORDER_SETTLE, subject="CAorder1:completed").pk)
    call = Call.objects.get(call_id="CAorder1")
    Transcript.objects.create(call=call, status="completed", segments=[
        {"speaker": "speaker_0", "start": 0.0, "end": 2.0, "text": "고객님, 주문 감사합니다."},
        {"speaker": "speaker_1", "start": 2.1, "end": 5.0, "text": "서울시 강남구 테헤란로 1이요."},
    ])
    Summary.objects.create(call=call, status="completed",
                           result_json={"coreSummary": "배송지 테헤란로 1 확인"})
    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED
    return order


def test_it_shows_the_order_its_call_and_what_was_said(admin_client, answered_order):
    page = admin_client.get(
        reverse("admin:integrations_order_change", args=[answered_order.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    for text in ("A-1024", "김민지", "010-5555-1234", "12,000원", "충전 케이블 2개", "통화 완료",
                 "CAorder1", "1차", "1분 35초", "사람", "order:A-1024:attempt:1",
                 "서울시 강남구 테헤란로 1이요.", "배송지 테헤란로 1 확인"):
        assert text in html, text
    assert reverse("admin:calls_call_change",
                   args=[Call.objects.get(call_id="CAorder1").pk]) in html


def test_it_lists_orders_and_finds_them_by_number_in_any_format(admin_client, answered_order):
    listing = admin_client.get(reverse("admin:integrations_order_changelist"),
                               {"q": "+82 10 5555 1234"})

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [answered_order]
    assert "12,000원" in listing.content.decode()


def test_it_says_when_order_calls_are_off(admin_client, settings):
    settings.CLAWOPS_ORDER_AGENT_ID = ""

    listing = admin_client.get(reverse("admin:integrations_order_changelist"))

    assert "CLAWOPS_ORDER_AGENT_ID" in listing.content.decode()


def test_it_shows_an_order_not_reached_with_both_attempts(admin_client):
    order, _ = confirmation_calls.receive(
        order_id="A-2048", customer_name="박지훈", customer_phone="01077778888",
        customer_phone_raw="01077778888", items=[{"name": "텀블러"}], total_price=0,
        raw_body=b"{}")
    for call_id in ("CAx1", "CAx2"):
        call = Call.objects.create(call_id=call_id, direction="outbound", status="no-answer",
                                   started_at=timezone.now())
        order.calls.add(call)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.NOT_REACHED)

    html = admin_client.get(
        reverse("admin:integrations_order_change", args=[order.pk])).content.decode()

    assert "연결 안 됨" in html and "2차" in html and "응답 없음" in html


def test_staff_cannot_edit_or_add_orders(admin_client, answered_order):
    assert admin_client.get(reverse("admin:integrations_order_add")).status_code == 403
    page = admin_client.get(reverse("admin:integrations_order_change", args=[answered_order.pk]))
    assert 'name="_save"' not in page.content.decode()
