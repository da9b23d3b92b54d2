"""Fixtures of the clinic tests: a clinic, and a morning to tell the stories at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from integrations.models import (
    Clinic,
)
from tests.integrations.clinics.admin_pages import seoul


@pytest.fixture
def morning() -> Iterator[None]:
    """Thursday 2026-11-26, 10:00 in Seoul."""
    with time_machine.travel(seoul(11, 26, 10), tick=False):
        yield


@pytest.fixture
def clinic() -> Clinic:
    return Clinic.objects.create(name="서울치과", phone="0212345678", from_number="07012345678")
