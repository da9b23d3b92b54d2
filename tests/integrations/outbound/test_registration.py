"""``manage.py register_clawops``: the number's status callback and the account webhooks,
read first, changed only where they differ, never with --dry-run."""

import json
from io import StringIO

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command

from integrations.outbound.registration import EVENTS
from tests.clawops_api import API

URL = "https://clinic.example.com/webhooks/clawops/"
NUMBER_EVENTS = "initiated ringing answered completed transfer"
OTHER = {"id": "wh_other", "url": "https://elsewhere.example.com/hook",
         "events": ["message.received"], "active": True}


@pytest.fixture(autouse=True)
def register_settings(settings):
    settings.CLAWOPS_FROM_NUMBER = "070-5235-1234"


def number(**fields) -> dict:
    return {"number": "07052351234", "numberType": "did", "routingType": "agent",
            "agentId": "agent_front", "statusCallback": None, "statusCallbackEvents": None,
            **fields}


def registration(**fields) -> dict:
    return {"id": "wh_1", "account_id": "AC_test", "url": URL, "events": list(EVENTS),
            "active": True, "created_at": "2026-11-01T00:00:00Z", **fields}


@pytest.fixture
def api():
    """ClawOps with one other number, ours unconfigured, and no webhook of ours."""
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{API}/numbers", name="numbers").mock(return_value=httpx.Response(
            200, json={"data": [number(number="07011112222"), number()]}))
        mock.put(f"{API}/numbers/07052351234", name="update_number").mock(
            return_value=httpx.Response(200, json=number(statusCallback=URL)))
        mock.get(f"{API}/webhooks", name="webhooks").mock(
            return_value=httpx.Response(200, json={"data": [OTHER]}))
        mock.post(f"{API}/webhooks", name="create_webhook").mock(
            return_value=httpx.Response(201, json=registration()))
        mock.put(f"{API}/webhooks/wh_1", name="update_webhook").mock(
            return_value=httpx.Response(200, json=registration()))
        yield mock


def configured(api, *, webhooks: list[dict]) -> None:
    api["numbers"].mock(return_value=httpx.Response(200, json={"data": [number(
        statusCallback=URL, statusCallbackEvents="transfer completed answered ringing initiated",
    )]}))
    api["webhooks"].mock(return_value=httpx.Response(200, json={"data": webhooks}))


def register(*args: str) -> str:
    out = StringIO()
    call_command("register_clawops", *args, stdout=out)
    return out.getvalue()


def body(route) -> dict:
    return json.loads(route.calls.last.request.content)


def writes(api) -> int:
    return sum(api[name].call_count
               for name in ("update_number", "create_webhook", "update_webhook"))


def test_it_configures_a_fresh_account(api):
    output = register()

    assert body(api["update_number"]) == {"statusCallback": URL,
                                          "statusCallbackEvents": NUMBER_EVENTS}
    assert body(api["create_webhook"]) == {"url": URL, "events": list(EVENTS)}
    assert api["update_webhook"].call_count == 0
    request = api["create_webhook"].calls.last.request
    assert request.headers["Authorization"] == "Bearer sk_test_key"
    assert "changed: 3 change(s) applied" in output


def test_it_subscribes_to_every_account_event_clawsite_handles():
    assert set(EVENTS) == {
        "message.sent", "message.failed", "message.received", "transcript.completed",
        "transcript.failed", "summary.completed", "summary.failed", "recording.completed",
        "recording.failed"}


def test_it_changes_nothing_when_everything_is_in_place(api):
    configured(api, webhooks=[OTHER, registration()])

    output = register()

    assert writes(api) == 0
    assert "up to date" in output


def test_a_dry_run_prints_the_plan_and_changes_nothing(api):
    output = register("--dry-run")

    assert writes(api) == 0
    assert "status_callback None -> 'https://clinic.example.com/webhooks/clawops/'" in output
    assert "account webhook (new)" in output
    assert "dry run, nothing changed: 3 change(s) planned" in output


def test_it_adds_missing_events_to_our_registration_and_keeps_the_others(api):
    mine = registration(events=["message.received", "agent.connected"])
    configured(api, webhooks=[OTHER, mine])

    register()

    assert api["create_webhook"].call_count == 0
    sent = body(api["update_webhook"])
    assert sent["url"] == URL
    assert sent["events"][:2] == ["message.received", "agent.connected"]
    assert set(sent["events"]) == set(EVENTS) | {"agent.connected"}
    assert "active" not in sent


def test_it_switches_a_disabled_registration_back_on(api):
    configured(api, webhooks=[registration(active=False)])

    register()

    assert body(api["update_webhook"])["active"] is True


def test_it_only_changes_the_number_fields_that_differ(api):
    configured(api, webhooks=[registration()])
    api["numbers"].mock(return_value=httpx.Response(200, json={"data": [number(
        statusCallback=URL, statusCallbackEvents="initiated ringing answered completed")]}))

    register()

    assert body(api["update_number"]) == {"statusCallbackEvents": NUMBER_EVENTS}


def test_it_configures_the_number_given_on_the_command_line(api):
    api["numbers"].mock(return_value=httpx.Response(
        200, json={"data": [number(number="07011112222")]}))
    route = api.put(f"{API}/numbers/07011112222").mock(
        return_value=httpx.Response(200, json=number(number="07011112222")))

    register("--number", "070-1111-2222")

    assert route.call_count == 1
    assert api["update_number"].call_count == 0


def test_it_stops_when_the_number_is_not_in_the_account(api):
    with pytest.raises(CommandError, match="07099990000 is not in ClawOps account AC_test"):
        register("--number", "07099990000")
    assert writes(api) == 0


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("CLAWOPS_API_KEY", "", "CLAWOPS_API_KEY must be set"),
    ("CLAWOPS_ACCOUNT_ID", "", "CLAWOPS_ACCOUNT_ID must be set"),
    ("CLAWOPS_FROM_NUMBER", "", "set CLAWOPS_FROM_NUMBER or pass --number"),
    ("CLAWOPS_PUBLIC_BASE_URL", "http://localhost:8000", "public https:// URL"),
    ("CLAWOPS_PUBLIC_BASE_URL", "https://127.0.0.1:8443", "public https:// URL"),
])
def test_it_says_which_setting_is_missing(settings, setting, value, message):
    setattr(settings, setting, value)

    with respx.mock:  # nothing may be asked
        with pytest.raises(CommandError, match=message):
            register()


def test_it_reports_what_clawops_refused(api):
    api["numbers"].mock(return_value=httpx.Response(401, json={"error": "invalid api key"}))

    with pytest.raises(CommandError, match="could not read the ClawOps configuration.*401"):
        register()
    assert writes(api) == 0


def test_it_reports_a_failed_write(api):
    api["create_webhook"].mock(return_value=httpx.Response(400, json={"error": "bad url"}))

    with pytest.raises(CommandError, match="ClawOps refused a change.*400"):
        register()
