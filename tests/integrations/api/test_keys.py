"""API keys: made by create_api_key and shown once, stored as a hash, listed and revoked in
admin; every request without a valid key is refused and stores nothing."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.api import keys
from integrations.models import ApiKey, Clinic
from tests.integrations.api.api_client import (
    NEW_APPOINTMENT,
    Api,
    assert_problem,
    clinic_with_key,
    stored,
)

pytestmark = pytest.mark.django_db
PATH = "/api/v1/appointments/"


def test_create_api_key_prints_the_key_once_on_its_last_line_and_stores_its_hash():
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    out = StringIO()

    call_command("create_api_key", "강남연세치과", "--name", "예약 프로그램", stdout=out)

    key = out.getvalue().strip().splitlines()[-1]
    row = ApiKey.objects.get()
    assert key.startswith("csk_") and len(key) > 40
    assert (row.clinic, row.name, row.prefix) == (clinic, "예약 프로그램", key[:12])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiKey.objects.values()))
    assert Api(key).get(PATH).status_code == 200


def test_create_api_key_finds_a_clinic_by_id():
    clinic = Clinic.objects.create(name="강남연세치과", phone="0212345678",
                                   from_number="07052351234")
    call_command("create_api_key", str(clinic.pk), stdout=StringIO())
    assert ApiKey.objects.get().clinic == clinic


def test_create_api_key_names_the_clinics_when_none_matches_and_stores_nothing():
    Clinic.objects.create(name="강남연세치과", phone="0212345678", from_number="07052351234")
    with pytest.raises(CommandError, match="강남연세치과"):
        call_command("create_api_key", "없는 병원", stdout=StringIO())
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "Token csk_x", "Bearer csk_not-a-real-key"])
def test_it_refuses_a_missing_or_wrong_key_with_401_and_stores_nothing(client, header):
    clinic_with_key()
    headers = {} if header is None else {"Authorization": header}

    response = client.post(PATH, NEW_APPOINTMENT, content_type="application/json",
                           headers=headers)

    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stored() == (0, 0)


def test_a_revoked_key_is_refused_and_stores_nothing():
    _clinic, key = clinic_with_key()
    keys.revoke(ApiKey.objects.all())

    assert_problem(Api(key).post(PATH, NEW_APPOINTMENT), 401)
    assert stored() == (0, 0)


def test_it_notes_when_a_key_was_last_used():
    _clinic, key = clinic_with_key()
    assert ApiKey.objects.get().last_used_at is None
    Api(key).get(PATH)
    assert ApiKey.objects.get().last_used_at is not None


def test_admin_lists_keys_without_revealing_them_and_revokes_them(admin_client):
    _clinic, key = clinic_with_key()
    row = ApiKey.objects.get()

    page = admin_client.get("/admin/integrations/apikey/").content.decode()
    assert row.prefix in page and "강남연세치과" in page
    assert key not in page
    assert admin_client.get("/admin/integrations/apikey/add/").status_code == 403

    admin_client.post("/admin/integrations/apikey/", {
        "action": "revoke", "_selected_action": [row.pk]})

    row.refresh_from_db()
    assert row.revoked_at is not None
    assert_problem(Api(key).get(PATH), 401)
