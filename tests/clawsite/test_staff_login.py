"""Staff login (clawsite/staff_login.py and settings): lockout per account and per address,
logged; the authenticator code for accounts that have one, required of superusers with
ADMIN_REQUIRE_2FA; set-up with a QR code; sessions that end when idle; password rules."""

import logging
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff_user() -> User:
    return User.objects.create_user("minji", password=PASSWORD, is_staff=True)


def log_in(client: Client, username: str, password: str, *, address: str = "10.0.0.1",
           token: str = ""):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": token},
                       REMOTE_ADDR=address)


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


def end_throttle(device: TOTPDevice) -> None:
    """After a wrong code a device refuses every code for a while (django-otp throttling,
    one more guard against guessing); the tests that go on at once end that wait."""
    device.refresh_from_db()
    device.throttle_reset()


def test_it_logs_staff_in_with_the_right_password(client, staff_user):
    assert log_in(client, "minji", PASSWORD).status_code == 302
    assert logged_in(client)


def test_it_locks_an_account_after_five_failures_even_from_many_addresses(client, staff_user,
                                                                          caplog):
    with caplog.at_level(logging.WARNING):
        for attempt in range(5):
            log_in(client, "minji", "wrong", address=f"10.0.0.{attempt + 10}")
        locked = log_in(client, "minji", PASSWORD, address="10.9.9.9")

    assert locked.status_code == 429
    assert not logged_in(client)
    assert 'Locking out {username: "minji"' in caplog.text
    assert "wrong" not in caplog.text and PASSWORD not in caplog.text  # no passwords logged


def test_it_locks_an_address_after_five_failures_across_accounts(client, staff_user):
    for attempt in range(5):
        log_in(client, f"guess{attempt}", "wrong", address="203.0.113.7")

    assert log_in(client, "minji", PASSWORD, address="203.0.113.7").status_code == 429
    assert not logged_in(client)
    other = Client()
    assert log_in(other, "minji", PASSWORD, address="198.51.100.1").status_code == 302


def test_it_lets_the_account_in_again_after_the_cool_off(client, staff_user):
    for _ in range(5):
        log_in(client, "minji", "wrong")
    assert log_in(client, "minji", PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert log_in(client, "minji", PASSWORD).status_code == 302


def test_it_counts_failures_by_the_address_the_tls_proxy_saw(settings, staff_user):
    settings.BEHIND_TLS_PROXY = True
    for attempt in range(5):
        Client().post(LOGIN, {"username": f"g{attempt}", "password": "x"},
                      REMOTE_ADDR="10.0.0.2",  # the proxy
                      HTTP_X_FORWARDED_FOR=f"1.2.3.{attempt}, 203.0.113.9")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.9").count() == 5
    blocked = Client().post(LOGIN, {"username": "minji", "password": PASSWORD},
                            REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert blocked.status_code == 429


# --- the second factor --------------------------------------------------------------------


@pytest.fixture
def device(staff_user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)


def test_it_asks_for_the_code_of_an_account_that_has_an_authenticator(client, device):
    without = log_in(client, "minji", PASSWORD)
    assert without.status_code == 200
    assert not logged_in(client)

    assert log_in(client, "minji", PASSWORD, token="000000").status_code == 200
    assert not logged_in(client)

    end_throttle(device)
    assert log_in(client, "minji", PASSWORD, token=code_for(device)).status_code == 302
    assert logged_in(client)


def test_it_counts_a_wrong_code_as_a_failed_login(client, device):
    for _ in range(5):
        log_in(client, "minji", PASSWORD, token="123456")
    assert log_in(client, "minji", PASSWORD, token=code_for(device)).status_code == 429


def test_it_sends_a_superuser_to_set_up_the_authenticator_when_required(client, settings):
    settings.ADMIN_REQUIRE_2FA = True
    User.objects.create_superuser("root", password=PASSWORD)
    assert log_in(client, "root", PASSWORD).status_code == 302

    page = client.get("/admin/calls/call/")
    assert page.status_code == 302
    assert page["Location"] == "/admin/two-factor/"

    setup = client.get("/admin/two-factor/")
    assert setup.status_code == 200
    assert b"<svg" in setup.content
    assert "관리자 계정은 2단계 로그인을 써야 합니다" in setup.content.decode()  # Korean first
    assert "clawsite 통화 관리" in setup.content.decode()  # an admin page like the others
    device = TOTPDevice.objects.get(user__username="root", confirmed=False)

    assert client.post("/admin/two-factor/", {"token": "000000"}).status_code == 200
    assert client.get("/admin/calls/call/").status_code == 302
    end_throttle(device)

    done = client.post("/admin/two-factor/", {"token": code_for(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/calls/call/").status_code == 200


def test_it_leaves_other_staff_free_to_choose_and_superusers_free_when_not_required(
        client, staff_user, settings):
    settings.ADMIN_REQUIRE_2FA = True
    log_in(client, "minji", PASSWORD)
    assert logged_in(client)
    settings.ADMIN_REQUIRE_2FA = False
    root = Client()
    User.objects.create_superuser("root", password=PASSWORD)
    log_in(root, "root", PASSWORD, address="10.0.0.3")
    assert logged_in(root)


def test_it_lets_staff_set_up_an_authenticator_and_then_asks_for_it(client, staff_user):
    log_in(client, "minji", PASSWORD)
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=staff_user)
    client.post("/admin/two-factor/", {"token": code_for(device)})
    client.post("/admin/logout/")

    assert log_in(client, "minji", PASSWORD).status_code == 200
    assert not logged_in(client)


# --- sessions and passwords -----------------------------------------------------------------


def test_it_ends_a_session_after_30_idle_minutes_but_not_an_active_one(client, staff_user,
                                                                      settings):
    from clawsite import settings as app_settings

    assert app_settings.SESSION_COOKIE_AGE == 30 * 60 and app_settings.SESSION_SAVE_EVERY_REQUEST
    settings.SESSION_COOKIE_AGE = app_settings.SESSION_COOKIE_AGE  # tests/settings.py: longer
    log_in(client, "minji", PASSWORD)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        assert logged_in(client)  # activity moves the expiry on
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        assert logged_in(client)
    with time_machine.travel(start + timedelta(minutes=81), tick=False):
        assert not logged_in(client)


def test_it_ends_the_session_when_the_browser_closes(client, staff_user):
    log_in(client, "minji", PASSWORD)
    cookie = client.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


@pytest.mark.parametrize("password", ["password1", "12345678901234", "short", "qwertyuiop"])
def test_it_refuses_weak_passwords(staff_user, password):
    with pytest.raises(ValidationError):
        validate_password(password, staff_user)


def test_it_accepts_a_long_uncommon_password(staff_user):
    validate_password("진료실 창문 옆 화분 2그루", staff_user)
