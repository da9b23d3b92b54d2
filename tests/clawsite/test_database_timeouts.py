"""A stuck database gives 503, not a hang (settings' connect, statement and lock timeouts;
clawsite/availability.py): another session holds a table lock, and the webhook and the
admin page that need that table answer 503 within the lock timeout, while /healthz, which
needs no table, still answers."""

import time

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from calls.models import WebhookDelivery
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db(transaction=True)
LOCK_TIMEOUT = 5  # clawsite/settings.py: DATABASE_LOCK_TIMEOUT_SECONDS


def test_it_sets_connect_statement_and_lock_timeouts_on_every_connection():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "15s"
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == f"{LOCK_TIMEOUT}s"
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 5


@pytest.fixture
def locked_deliveries():
    """Another session holding an exclusive lock on the deliveries table, as a stuck
    migration or a hung transaction would."""
    params = connection.get_connection_params()
    params.pop("options", None)
    params.pop("prepare_threshold", None)
    params.pop("cursor_factory", None)
    other = psycopg.connect(**params)
    other.execute("BEGIN")
    other.execute("LOCK TABLE calls_webhookdelivery IN ACCESS EXCLUSIVE MODE")

    def release() -> None:
        if not other.closed:
            other.rollback()
            other.close()

    yield release
    release()


def test_it_answers_503_to_a_webhook_while_its_table_is_locked(client, locked_deliveries):
    started = time.monotonic()
    response = post_form(client, fixture("status_ringing"))
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert waited < LOCK_TIMEOUT + 5
    locked_deliveries()
    assert not WebhookDelivery.objects.exists()  # not acknowledged, so ClawOps retries
    assert post_form(client, fixture("status_ringing")).status_code == 200
    assert WebhookDelivery.objects.count() == 1


def test_it_answers_503_to_an_admin_page_while_its_table_is_locked(locked_deliveries):
    staff = Client(raise_request_exception=False)
    staff.force_login(User.objects.create_superuser("root", password="pw"))
    started = time.monotonic()
    response = staff.get("/admin/calls/webhookdelivery/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert time.monotonic() - started < LOCK_TIMEOUT + 5
    assert client_health() == 200


def client_health() -> int:
    return Client().get("/healthz").status_code
