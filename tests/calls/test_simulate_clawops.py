"""simulate_clawops: signed demo webhooks, posted over HTTP to a running clawsite."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from calls import demo, demo_signing
from calls.decoding import decode_body
from calls.models import Call, CallEvent, Message, Scheme, WebhookDelivery
from calls.payloads import CallStatusEvent, MessageEventPayload, TransferEvent, parse_payload
from calls.signatures import verify_clawops_signature, verify_x_signature

live = pytest.mark.django_db(transaction=True)
PUBLIC_URL = "https://clinic.example.com/webhooks/clawops/"


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate_clawops", *args, stdout=out)
    return out.getvalue()


@live
def test_it_fills_the_call_log_with_every_scenario(live_server, settings):
    settings.CLAWOPS_PUBLIC_BASE_URL = live_server.url

    output = simulate()

    calls = list(Call.objects.all())
    assert len(calls) == 4
    outbound = [c for c in calls if c.direction == "outbound"]
    missed = [c for c in calls if c.is_missed]
    transferred = list(Call.objects.filter(events__kind="transfer").distinct())
    answered = [c for c in calls if c not in outbound + missed + transferred]
    assert len(outbound) == len(missed) == len(transferred) == len(answered) == 1

    call = answered[0]
    assert (call.direction, call.status, call.answered_by, call.hangup_cause) == (
        "inbound", "completed", "human", "normal_clearing")
    assert call.duration and call.duration > 0
    assert list(call.events.values_list("status", flat=True)) == [
        "initiated", "ringing", "in-progress", "completed"]
    assert call.from_number.startswith("010") and call.to_number.startswith("070")

    assert missed[0].direction == "inbound"
    assert (outbound[0].status, outbound[0].from_number[:3]) == ("completed", "070")

    transfers = CallEvent.objects.filter(call=transferred[0], kind="transfer")
    assert sorted(transfers.values_list("sequence", "status")) == [
        (1, "completed"), (1, "connected"), (1, "initiated")]
    end = transfers.get(status="completed").details
    assert end["TransferMode"] == "warm" and int(end["TransferDuration"]) > 0
    assert end["TransferTo"].startswith("010")
    assert transferred[0].status == "completed"

    sent = Message.objects.get(direction="outbound")
    reply = Message.objects.get(direction="inbound")
    assert (sent.status, reply.status, reply.body) == ("sent", "received", "네 확인했습니다")
    assert reply.from_number == sent.to_number

    assert set(WebhookDelivery.objects.values_list("scheme", flat=True)) == {
        Scheme.X_SIGNATURE, Scheme.CLAWOPS_SIGNATURE}
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {"processed"}
    assert "Done: 20 webhooks answered 2xx (20 processed)" in output
    assert f"{live_server.url}/admin/calls/call/" in output


@live
def test_it_signs_the_public_url_not_the_one_it_posts_to(live_server, settings):
    # Behind a TLS proxy: ClawOps signs https://clinic.example.com/…, the app listens elsewhere.
    assert settings.CLAWOPS_PUBLIC_BASE_URL == "https://clinic.example.com"

    output = simulate("--url", live_server.url, "--scenario", "answered", "--scheme", "form")

    call = Call.objects.get()
    assert call.events.count() == 4
    assert set(WebhookDelivery.objects.values_list("url", flat=True)) == {PUBLIC_URL}
    assert "signed for the public URL https://clinic.example.com/webhooks/clawops/" in output
    lines = [line for line in output.splitlines() if line.startswith("answered")]
    assert len(lines) == 4 and all(line.endswith("200 processed") for line in lines)
    assert call.call_id in lines[0]


@live
def test_it_sends_one_scenario_in_the_scheme_asked_for(live_server, settings):
    settings.CLAWOPS_PUBLIC_BASE_URL = live_server.url

    simulate("--scenario", "sms-reply", "--scheme", "json")

    assert not Call.objects.exists()
    assert Message.objects.count() == 2
    assert Message.objects.get(direction="inbound").body == "네 확인했습니다"
    assert set(WebhookDelivery.objects.values_list("scheme", flat=True)) == {
        Scheme.CLAWOPS_SIGNATURE}


def test_it_reports_a_server_that_cannot_be_reached():
    with pytest.raises(CommandError, match=r"cannot reach clawsite at http://127\.0\.0\.1:9/"):
        simulate("--url", "http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("missing", "args", "variable"),
    [
        ("CLAWOPS_SIGNING_KEYS", ("--scheme", "form"), "CLAWOPS_SIGNING_KEY"),
        ("CLAWOPS_WEBHOOK_SECRETS", ("--scheme", "json"), "CLAWOPS_WEBHOOK_SECRET"),
        ("CLAWOPS_WEBHOOK_SECRETS", (), "CLAWOPS_WEBHOOK_SECRET"),
        # Transfer progress is form-only, so even --scheme json needs the signing key for it.
        ("CLAWOPS_SIGNING_KEYS", ("--scheme", "json", "--scenario", "transfer"),
         "CLAWOPS_SIGNING_KEY"),
    ],
)
def test_it_names_the_secret_that_is_not_configured(settings, missing, args, variable):
    setattr(settings, missing, [])
    with pytest.raises(CommandError, match=rf"^{variable} is not set"):
        # Port 9 is closed: had the check not stopped it, the error would be another one.
        simulate("--url", "http://127.0.0.1:9", *args)


def test_it_needs_no_secret_its_scheme_does_not_use(settings):
    settings.CLAWOPS_WEBHOOK_SECRETS = []
    with pytest.raises(CommandError, match="cannot reach"):
        simulate("--url", "http://127.0.0.1:9", "--scheme", "form")


class _Refusing(BaseHTTPRequestHandler):
    """A server that rejects every signature, the way clawsite does with the wrong key."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"error": "signature does not match"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_it_stops_at_the_first_answer_that_is_not_2xx(refusing_server):
    out = StringIO()
    with pytest.raises(CommandError, match="answered 401 to answered call.initiated: "
                                           "signature does not match"):
        call_command("simulate_clawops", "--url", refusing_server, stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("401 -")


# --- the sequences themselves ------------------------------------------------------------------


def _build(scheme: str, seed: int = 7) -> list[demo.Webhook]:
    rng = random.Random(seed)
    return demo.build_webhooks(
        demo.SCENARIOS, scheme, now=datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
        parties=demo.make_parties(rng), rng=rng,
    )


@pytest.mark.parametrize("scheme", ["form", "json", "both"])
def test_it_builds_webhooks_clawsite_verifies_and_reads(scheme):
    kinds = {"call": CallStatusEvent, "transfer": TransferEvent, "message": MessageEventPayload}
    for webhook in _build(scheme):
        signed = demo_signing.sign(
            webhook, public_url=PUBLIC_URL, signing_key="k", webhook_secret="s"
        )
        if webhook.scheme == "form":
            fields = decode_body(signed.headers["Content-Type"], signed.body)
            assert verify_x_signature(PUBLIC_URL, fields, signed.headers["X-Signature"], ["k"])
        else:
            fields = decode_body(signed.headers["Content-Type"], signed.body)
            assert verify_clawops_signature(
                signed.body, signed.headers["X-ClawOps-Signature"], ["s"])
        payload = parse_payload(fields)
        assert isinstance(payload, kinds[webhook.event.split(".")[0]])
        assert payload.occurred_at is not None
        assert payload.occurred_at < datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_it_uses_fresh_ids_on_every_run():
    first = {w.subject_id for w in _build("both", seed=1)}
    second = {w.subject_id for w in _build("both", seed=2)}
    assert len(first) == 6  # four calls, two messages
    assert all(i.startswith(("CA", "MG")) and len(i) == 34 for i in first)
    assert not first & second
