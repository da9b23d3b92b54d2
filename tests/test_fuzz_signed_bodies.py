"""Fuzzing every endpoint that takes signed bodies (Hypothesis), then every admin page that
shows what they stored.

For each generated body: no answer is a 5xx; a signed ClawOps body is stored exactly once,
byte for byte; an unsigned or wrongly signed one stores nothing; an order is stored only
when answered 202; and the admin pages that show the delivery, its call or message, and
the lists, all render.

Profiles (environment variable CLAWSITE_FUZZ_PROFILE):
- ``ci`` (default): a fixed seed (derandomized) and a few hundred bodies, well under 30 s;
- ``long``: 5,000 bodies per test (CLAWSITE_FUZZ_EXAMPLES to change it) with a random seed;
  a failure prints the blob to replay it
  (`CLAWSITE_FUZZ_PROFILE=long pytest tests/test_fuzz_signed_bodies.py -s`).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.db.models import Max
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.models import Call, CallEvent, Message, WebhookDelivery
from integrations.models import Appointment, CallbackRequest, Clinic, Job, Order
from tests.hostile_values import (
    WEBHOOK_PATH,
    SignedBody,
    form_body,
    nasty_text,
    signed_bodies,
    signed_orders,
    unsigned_bodies,
)

ORDER_SECRET = "ordsec_fuzz"
LISTS = ["/admin/calls/webhookdelivery/", "/admin/calls/webhookdelivery/?outcome__exact=failed",
         "/admin/calls/call/", "/admin/calls/message/", "/admin/integrations/job/"]
_COMMON = {
    "deadline": None,
    "database": None,  # no .hypothesis directory: CI runs from a clean clone
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                              HealthCheck.data_too_large, HealthCheck.large_base_example],
}
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile(
    "long", max_examples=int(os.environ.get("CLAWSITE_FUZZ_EXAMPLES", "5000")), print_blob=True,
    **_COMMON)
settings.load_profile(os.environ.get("CLAWSITE_FUZZ_PROFILE", "ci"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model) -> Client:
    client = Client(raise_request_exception=False)
    user, _ = django_user_model.objects.get_or_create(
        username="fuzz", defaults={"is_staff": True, "is_superuser": True})
    client.force_login(user)
    return client


@pytest.fixture
def sender(settings) -> Client:
    settings.ORDER_WEBHOOK_SECRETS = [ORDER_SECRET]
    return Client(raise_request_exception=False)


def post(client: Client, path: str, signed: SignedBody):
    return client.post(path, data=signed.body, content_type=signed.content_type,
                       headers=signed.headers)


def assert_pages_render(staff: Client, urls: list[str]) -> None:
    for url in urls:
        status = staff.get(url).status_code
        assert status < 500, (url, status)


def last_delivery_pk() -> int:
    return WebhookDelivery.objects.aggregate(last=Max("pk"))["last"] or 0


@given(signed=signed_bodies)
def test_it_stores_every_signed_body_once_and_shows_it(sender, staff, signed):
    before = last_delivery_pk()

    response = post(sender, WEBHOOK_PATH, signed)

    assert response.status_code == 200, (response.status_code, response.content[:300])
    new = list(WebhookDelivery.objects.filter(pk__gt=before))
    assert len(new) == 1
    delivery = new[0]
    assert bytes(delivery.body) == signed.body
    assert response.json()["delivery"] == delivery.pk
    pages = [f"/admin/calls/webhookdelivery/{delivery.pk}/change/",
             f"/admin/calls/webhookdelivery/{delivery.pk}/body/"]
    if delivery.call_id:
        pages.append(f"/admin/calls/call/{delivery.call_id}/change/")
    if delivery.message_id:
        pages.append(f"/admin/calls/message/{delivery.message_id}/change/")
    # The lists show the newest rows, this one among them; opening them for every fifth
    # body keeps the run short and still renders every row at least once.
    if delivery.pk % 5 == 0:
        pages += [f"{changelist}?o=-1" if "?" not in changelist else changelist
                  for changelist in LISTS]
    assert_pages_render(staff, pages)


@given(unsigned=unsigned_bodies())
def test_it_stores_nothing_unsigned(sender, unsigned):
    counts = [model.objects.count() for model in (WebhookDelivery, Call, CallEvent, Message, Job)]

    response = post(sender, WEBHOOK_PATH, unsigned)

    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert [model.objects.count()
            for model in (WebhookDelivery, Call, CallEvent, Message, Job)] == counts


@given(order=signed_orders(ORDER_SECRET))
def test_it_answers_every_signed_order_with_202_or_400_and_shows_it(sender, staff, order):
    orders_before = Order.objects.count()

    response = post(sender, "/webhooks/orders/", order)

    # 413: a hostile value may make the body larger than 256 KiB.
    assert response.status_code in (202, 400, 413), (response.status_code, response.content[:300])
    created = response.status_code == 202 and not response.json().get("duplicate")
    assert Order.objects.count() == orders_before + created
    if created:
        stored = Order.objects.order_by("-pk").first()
        assert bytes(stored.raw_body) == order.body
        assert_pages_render(staff, [f"/admin/integrations/order/{stored.pk}/change/",
                                    "/admin/integrations/order/"])


@pytest.fixture
def voice_paths(django_user_model) -> list[str]:
    """The four VoiceML URLs, for an appointment and a call-back that exist."""
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    appointment = Appointment.objects.create(
        clinic=clinic, patient_name="김민지", phone="01055551234",
        starts_at=timezone.now() + timedelta(days=1))
    call = Call.objects.create(call_id="CAfuzz", started_at=timezone.now())
    clerk = django_user_model.objects.create_user("clerk-fuzz", is_staff=True)
    callback = CallbackRequest.objects.create(call=call, number="01055551234",
                                              requested_by=clerk)
    return [f"/voice/reminders/{appointment.pk}/{appointment.cycle}/",
            f"/voice/reminders/{appointment.pk}/{appointment.cycle}/gather/",
            f"/voice/callbacks/{callback.pk}/", f"/voice/callbacks/{callback.pk}/done/"]


@given(fields=st.dictionaries(st.sampled_from(["CallId", "Digits", "From", "To", "CallStatus",
                                               "RecordingUrl", "RecordingDuration", "x"]),
                              nasty_text, max_size=6))
def test_it_answers_every_signed_voiceml_request_without_a_5xx(sender, voice_paths, fields):
    for path in voice_paths:
        form = form_body(fields, path)
        response = post(sender, path, form)
        assert response.status_code in (200, 400), (path, response.status_code)
