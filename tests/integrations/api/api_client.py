"""Helpers for the API tests: clinics with keys, and requests that send the key."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from integrations.api import keys
from integrations.models import ApiKey, Appointment, Clinic, Job

SOON = "2026-12-01T15:00:00+09:00"  # the tests' clock is 2026-11-30 10:00 in Seoul
NEW_APPOINTMENT = {"external_id": "B-1001", "patient_name": "김민지",
                   "phone": "010-5555-1234", "starts_at": SOON}


def clinic_with_key(name: str = "강남연세치과", from_number: str = "07052351234",
                    phone: str = "0212345678") -> tuple[Clinic, str]:
    clinic = Clinic.objects.create(name=name, phone=phone, from_number=from_number)
    _row, key = keys.create_key(clinic, f"{name} booking")
    return clinic, key


class Api:
    """A test client that sends one key (or none) with every request."""

    def __init__(self, key: str | None, language: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if key is not None:
            self.headers["Authorization"] = f"Bearer {key}"
        if language is not None:
            self.headers["Accept-Language"] = language

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str):
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path: str, body: Any, **headers: str):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.post(path, data=data, content_type=headers.pop(
            "content_type", "application/json"), headers={**self.headers, **headers})

    def patch(self, path: str, body: Any, **headers: str):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.patch(path, data=data, content_type="application/json",
                                 headers={**self.headers, **headers})

    def delete(self, path: str, **headers: str):
        return self.client.delete(path, headers={**self.headers, **headers})


def assert_problem(response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; its body."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def stored() -> tuple[int, int]:
    """How many appointments and jobs exist: the same before and after a rejection."""
    return Appointment.objects.count(), Job.objects.count()


def key_rows() -> int:
    return ApiKey.objects.count()
