"""``manage.py setup_roles`` and who may do what: staff groups in admin, signed machines
on the webhooks (no login, no CSRF), admin actions only as POST with the CSRF token."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, WebhookDelivery
from calls.signatures import clawops_signature
from integrations.management.commands.setup_roles import (
    FRONT_DESK,
    FRONT_DESK_PERMISSIONS,
    MANAGER,
)
from integrations.models import Job
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db


def setup_roles() -> str:
    out = StringIO()
    call_command("setup_roles", stdout=out)
    return out.getvalue()


def names(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def member(group_name: str) -> Client:
    user = User.objects.create_user(f"user-{group_name}", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def roles() -> None:
    setup_roles()


def test_it_creates_both_groups_with_their_permissions():
    output = setup_roles()

    assert names(Group.objects.get(name=FRONT_DESK)) == set(FRONT_DESK_PERMISSIONS)
    manager = names(Group.objects.get(name=MANAGER))
    assert {"integrations.retry_job", "calls.change_webhookdelivery",
            "integrations.place_callback", "integrations.change_clinic",
            "integrations.view_order"} <= manager
    assert manager == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.filter(
            content_type__app_label__in=("calls", "integrations", "django_q"))}
    assert f"{FRONT_DESK}: created" in output


def test_the_front_desk_reads_and_calls_back_but_cannot_retry_or_replay():
    setup_roles()
    desk = names(Group.objects.get(name=FRONT_DESK))

    for needed in ("calls.view_call", "calls.view_message", "calls.view_webhookdelivery",
                   "integrations.view_appointment", "integrations.add_appointment",
                   "integrations.change_appointment", "integrations.view_clinic",
                   "integrations.view_order", "integrations.view_job",
                   "integrations.place_callback"):
        assert needed in desk
    for withheld in ("integrations.retry_job", "calls.change_webhookdelivery",
                     "integrations.change_clinic", "integrations.change_job"):
        assert withheld not in desk


def test_running_it_again_changes_nothing_and_restores_the_list():
    setup_roles()
    desk = Group.objects.get(name=FRONT_DESK)
    desk.permissions.add(Permission.objects.get(codename="retry_job"))

    output = setup_roles()

    assert Group.objects.filter(name__in=(FRONT_DESK, MANAGER)).count() == 2
    assert names(desk) == set(FRONT_DESK_PERMISSIONS)
    assert f"{FRONT_DESK}: updated" in output


@pytest.mark.parametrize("page", ["admin:calls_call_changelist", "admin:calls_message_changelist",
                                  "admin:calls_webhookdelivery_changelist",
                                  "admin:integrations_order_changelist",
                                  "admin:integrations_job_changelist",
                                  "admin:integrations_callbackrequest_changelist"])
def test_the_front_desk_can_open_the_pages_it_needs(roles, page):
    assert member(FRONT_DESK).get(reverse(page)).status_code == 200


def test_only_the_manager_sees_retry_and_replay(roles):
    jobs, deliveries = (reverse("admin:integrations_job_changelist"),
                        reverse("admin:calls_webhookdelivery_changelist"))
    desk, manager = member(FRONT_DESK), member(MANAGER)

    assert 'value="retry_now"' not in desk.get(jobs).content.decode()
    assert 'value="replay"' not in desk.get(deliveries).content.decode()
    assert 'value="retry_now"' in manager.get(jobs).content.decode()
    assert 'value="replay"' in manager.get(deliveries).content.decode()


def test_the_front_desk_may_call_back(client, roles):
    post_form(client, fixture("status_no_answer"))
    call = Call.objects.get()

    page = member(FRONT_DESK).get(reverse("admin:integrations_callbackrequest_new"),
                                  {"call": call.pk})

    assert page.status_code == 200


def test_admin_actions_need_the_csrf_token(roles):
    manager = User.objects.create_user("boss", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGER))
    job = Job.objects.create(kind="slack.missed_call", subject="CAx", state="failed",
                             next_attempt_at=timezone.now())
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)

    response = client.post(reverse("admin:integrations_job_changelist"),
                           {"action": "retry_now", "_selected_action": [job.pk]})

    assert response.status_code == 403
    job.refresh_from_db()
    assert job.state == "failed"


def test_webhooks_need_no_login_and_no_csrf_token(settings):
    settings.ORDER_WEBHOOK_SECRETS = ["ordsec_test"]
    client = Client(enforce_csrf_checks=True)

    assert post_form(client, fixture("status_completed")).status_code == 200
    order = json.dumps({"order_id": "A-1", "customer_phone": "01055551234",
                        "customer_name": "김민지", "items": ["텀블러"], "total_price": 8900})
    response = client.post("/webhooks/orders/", data=order, content_type="application/json",
                           headers={"X-Order-Signature": clawops_signature(order.encode(),
                                                                           "ordsec_test")})
    assert response.status_code == 202
    assert WebhookDelivery.objects.count() == 1
