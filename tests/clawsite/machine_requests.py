"""Signed requests to every machine endpoint, each one that would store or change something
if its method were accepted, and a snapshot of the database to show that nothing did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from calls.models import Call
from calls.signatures import clawops_signature, x_signature
from integrations.callbacks import callback_calls
from integrations.models import Appointment, Clinic
from tests.helpers import fixture, post_form

ORDER_SECRET = "ordsec_test"
METRICS_TOKEN = "metrics-test-token"
ORDER = {"order_id": "A-1024", "customer_phone": "010-5555-1234", "customer_name": "김민지",
         "items": ["무선 이어폰"], "total_price": 12000}


@dataclass(frozen=True)
class Endpoint:
    """A machine endpoint, the methods it allows, and a request that would act on POST."""

    name: str
    path: str
    allowed: tuple[str, ...]
    content_type: str
    body: bytes
    headers: dict[str, str]
    # For a GET: the same fields in the query string, signed for that URL.
    query: str = ""
    query_headers: dict[str, str] | None = None

    def send(self, client: Client, method: str):
        if method in ("GET", "HEAD") and self.query:
            return client.generic(method, f"{self.path}?{self.query}",
                                  headers=self.query_headers)
        return client.generic(method, self.path, data=self.body,
                              content_type=self.content_type, headers=self.headers)


def _x_signed(path: str, fields: dict[str, str], allowed: tuple[str, ...], name: str) -> Endpoint:
    key = settings.CLAWOPS_SIGNING_KEYS[-1]
    url = settings.CLAWOPS_PUBLIC_BASE_URL + path
    query = urlencode(fields)
    return Endpoint(
        name=name, path=path, allowed=allowed,
        content_type="application/x-www-form-urlencoded", body=query.encode(),
        headers={"X-Signature": x_signature(url, fields, key)},
        query=query,
        query_headers={"X-Signature": x_signature(url, fields, key)},
    )


def machine_endpoints(client: Client) -> list[Endpoint]:
    """Every machine endpoint, with the rows its requests would act on created first."""
    post_form(client, fixture("status_no_answer"))  # a missed call to call back
    staff = User.objects.create_user("desk", password="x")
    callback, _ = callback_calls.request_callback(Call.objects.get(), staff)
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    appointment = Appointment.objects.create(
        clinic=clinic, patient_name="김민지", phone="01055551234",
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("Asia/Seoul")))
    reminder = f"/voice/reminders/{appointment.pk}/{appointment.cycle}/"
    order_body = json.dumps(ORDER).encode()
    call = {"CallId": "CArem1", "From": "07052351234", "To": "01055551234",
            "Direction": "outbound", "CallStatus": "in-progress"}
    return [
        _x_signed("/webhooks/clawops/", fixture("status_completed"), ("POST",),
                  "clawops webhook"),
        Endpoint(name="order webhook", path="/webhooks/orders/", allowed=("POST",),
                 content_type="application/json", body=order_body,
                 headers={"X-Order-Signature": clawops_signature(order_body, ORDER_SECRET)}),
        _x_signed(reminder, call, ("GET", "POST"), "reminder script"),
        _x_signed(f"{reminder}gather/", {**call, "Digits": "2"}, ("POST",), "reminder answer"),
        _x_signed(f"/voice/callbacks/{callback.pk}/", call, ("GET", "POST"), "callback script"),
        _x_signed(f"/voice/callbacks/{callback.pk}/done/",
                  {"CallId": "CAback1", "RecordingUrl": "https://storage.example.com/r.wav",
                   "RecordingDuration": "14"}, ("POST",), "callback message"),
        Endpoint(name="health check", path="/healthz", allowed=("GET", "HEAD"),
                 content_type="application/json", body=b"{}", headers={}),
        Endpoint(name="metrics", path="/metrics", allowed=("GET", "HEAD"),
                 content_type="application/json", body=b"{}",
                 headers={"Authorization": f"Bearer {METRICS_TOKEN}"}),
    ]


def database_state() -> dict[str, list[dict]]:
    """Every row of the project's models and of the task queue, in a comparable form."""
    models = [model for label in ("calls", "integrations", "django_q")
              for model in apps.get_app_config(label).get_models()]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}
