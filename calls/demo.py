"""Made-up but realistic ClawOps webhook sequences, for trying clawsite without an account.

Pure functions: they build the payloads (demo_signing.py signs them); posting is the job of the
``simulate_clawops`` command. Every run uses fresh ids, so a run adds new calls to the log
instead of being deduplicated against the previous one.

Two wire shapes (product.md §4, contract §2 and §4):

- ``form``: form-encoded PascalCase fields as ClawOps documents them, signed with
  ``X-Signature`` over the public URL and the sorted fields;
- ``json``: the blog's snake_case JSON (``{"event": "call.completed", "call_id", …}``),
  signed with ``X-ClawOps-Signature`` over the raw body.

Transfer progress is only documented as form fields (contract §2.2) and the blog shows no
JSON for it, so transfer events are always sent as form, whatever scheme is asked for.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

FORM = "form"
JSON = "json"
SCHEMES = (FORM, JSON)

ANSWERED = "answered"
MISSED = "missed"
OUTBOUND = "outbound"
TRANSFER = "transfer"
SMS_REPLY = "sms-reply"
SCENARIOS = (ANSWERED, MISSED, OUTBOUND, TRANSFER, SMS_REPLY)

# With --scheme both each scenario goes in one scheme, so one run shows both in the log.
BOTH_SCHEMES: dict[str, str] = {
    ANSWERED: FORM,
    MISSED: JSON,
    OUTBOUND: JSON,
    TRANSFER: FORM,
    SMS_REPLY: JSON,
}

REPLY_BODY = "네 확인했습니다"
TRANSFER_REASON = "예약 변경"

_KST = ZoneInfo("Asia/Seoul")
# Scenarios are spread out before "now", so every stage of every call lies in the past.
_SCENARIO_SPACING = timedelta(minutes=4)


@dataclass(frozen=True)
class Webhook:
    """One delivery as ClawOps would send it, not yet signed."""

    scenario: str
    event: str  # what happened, in the blog's dotted names: call.ringing, transfer.connected …
    subject_id: str  # the CallId or MessageId, so a newcomer can find it in admin
    scheme: str  # FORM or JSON
    payload: dict[str, object]


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Parties:
    """The numbers of one run: our ClawOps line, a customer, and a staff phone."""

    line: str
    customer: str
    staff: str
    account_id: str


# --- ids, numbers and times ---------------------------------------------------------------


def new_id(prefix: str, rng: random.Random) -> str:
    """An id in ClawOps' style: a two-letter prefix and 32 hex digits (CA…, MG…, AC…)."""
    return f"{prefix}{rng.getrandbits(128):032x}"


def mobile_number(rng: random.Random) -> str:
    # Korean mobile numbers: 010, then a subscriber number whose first digit is not 0 or 1.
    return f"010{rng.randint(2, 9)}{rng.randint(0, 9_999_999):07d}"


def line_number(rng: random.Random) -> str:
    # A 070 internet-phone line, the kind ClawOps provisions (contract §8).
    return f"070{rng.randint(2, 9)}{rng.randint(0, 9_999_999):07d}"


def make_parties(rng: random.Random, *, line: str = "", account_id: str = "") -> Parties:
    return Parties(
        line=line or line_number(rng),
        customer=mobile_number(rng),
        staff=mobile_number(rng),
        account_id=account_id or new_id("AC", rng)[:12],
    )


def form_time(moment: datetime) -> str:
    """ClawOps' form timestamps: UTC with a Z (contract §2.4)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def json_time(moment: datetime) -> str:
    """The blog's created_at: Korean time with its offset."""
    return moment.astimezone(_KST).isoformat(timespec="seconds")


# --- one call's status events, in either shape ----------------------------------------------

# The status each event reports, and its name in the blog's JSON.
_STAGE_EVENTS = {
    "initiated": "call.initiated",
    "ringing": "call.ringing",
    "in-progress": "call.answered",
}


@dataclass(frozen=True)
class CallLeg:
    call_id: str
    direction: str
    caller: str
    callee: str


def status_webhook(
    scenario: str,
    scheme: str,
    call: CallLeg,
    status: str,
    at: datetime,
    parties: Parties,
    *,
    duration: int | None = None,
    answered_by: str = "",
    hangup_cause: str = "",
    hangup_source: str = "",
) -> Webhook:
    event = _STAGE_EVENTS.get(status, "call.completed")
    label = event if status in _STAGE_EVENTS or status == "completed" else f"{event} ({status})"
    if scheme == JSON:
        payload: dict[str, object] = {
            "event": event,
            "call_id": call.call_id,
            "status": status,
            "direction": call.direction,
            "from": call.caller,
            "to": call.callee,
        }
        if duration is not None:
            payload["duration"] = duration
        payload["created_at"] = json_time(at)
    else:
        payload = {
            "CallId": call.call_id,
            "CallStatus": status,
            "Direction": call.direction,
            "From": call.caller,
            "To": call.callee,
            "AccountId": parties.account_id,
            "Timestamp": form_time(at),
        }
        optional = {
            "CallDuration": "" if duration is None else str(duration),
            "AnsweredBy": answered_by,
            "HangupCause": hangup_cause,
            "HangupSource": hangup_source,
        }
        payload.update({name: value for name, value in optional.items() if value})
    return Webhook(scenario, label, call.call_id, scheme, payload)


def transfer_webhook(
    scenario: str,
    call: CallLeg,
    status: str,
    at: datetime,
    parties: Parties,
    *,
    duration: int | None = None,
) -> Webhook:
    payload: dict[str, object] = {
        "CallId": call.call_id,
        "TransferStatus": status,
        "TransferSequence": "1",
        "TransferTo": parties.staff,
        "TransferMode": "warm",
        "TransferReason": TRANSFER_REASON,
        "From": call.caller,
        "To": call.callee,
        "Direction": call.direction,
        "AccountId": parties.account_id,
        "Timestamp": form_time(at),
    }
    if duration is not None:
        payload["TransferDuration"] = str(duration)  # only the end event carries it
    return Webhook(scenario, f"transfer.{status}", call.call_id, FORM, payload)


def _ring(
    scenario: str, scheme: str, call: CallLeg, start: datetime, parties: Parties
) -> list[Webhook]:
    """initiated, then ringing a second later: how every call begins."""
    return [
        status_webhook(scenario, scheme, call, "initiated", start, parties),
        status_webhook(scenario, scheme, call, "ringing", start + timedelta(seconds=1), parties),
    ]


# --- the scenarios --------------------------------------------------------------------------


def answered_call(
    scheme: str, start: datetime, parties: Parties, rng: random.Random
) -> list[Webhook]:
    """A customer calls in, someone picks up after a few rings, they talk, the caller hangs up."""
    call = CallLeg(new_id("CA", rng), "inbound", parties.customer, parties.line)
    answered = start + timedelta(seconds=rng.randint(4, 9))
    duration = rng.randint(45, 200)  # ends before the next scenario starts
    return [
        *_ring(ANSWERED, scheme, call, start, parties),
        status_webhook(ANSWERED, scheme, call, "in-progress", answered, parties),
        status_webhook(
            ANSWERED, scheme, call, "completed", answered + timedelta(seconds=duration), parties,
            duration=duration, answered_by="human", hangup_cause="normal_clearing",
            hangup_source="caller",
        ),
    ]


def missed_call(
    scheme: str, start: datetime, parties: Parties, rng: random.Random
) -> list[Webhook]:
    """A customer calls in and nobody answers before the 30-second ring timeout."""
    call = CallLeg(new_id("CA", rng), "inbound", parties.customer, parties.line)
    ended = start + timedelta(seconds=31)
    return [
        *_ring(MISSED, scheme, call, start, parties),
        status_webhook(
            MISSED, scheme, call, "no-answer", ended, parties,
            duration=0, hangup_cause="no_answer", hangup_source="callee",
        ),
    ]


def outbound_call(
    scheme: str, start: datetime, parties: Parties, rng: random.Random
) -> list[Webhook]:
    """We call the customer (a callback or a reminder call); they answer and talk."""
    call = CallLeg(new_id("CA", rng), "outbound", parties.line, parties.customer)
    answered = start + timedelta(seconds=rng.randint(5, 12))
    duration = rng.randint(30, 150)
    return [
        *_ring(OUTBOUND, scheme, call, start, parties),
        status_webhook(OUTBOUND, scheme, call, "in-progress", answered, parties),
        status_webhook(
            OUTBOUND, scheme, call, "completed", answered + timedelta(seconds=duration), parties,
            duration=duration, answered_by="human", hangup_cause="normal_clearing",
            hangup_source="callee",
        ),
    ]


def transferred_call(
    scheme: str, start: datetime, parties: Parties, rng: random.Random
) -> list[Webhook]:
    """The AI agent answers, hears the caller wants to change a booking, hands over to staff."""
    call = CallLeg(new_id("CA", rng), "inbound", parties.customer, parties.line)
    answered = start + timedelta(seconds=3)
    transfer_at = answered + timedelta(seconds=rng.randint(20, 60))
    connected = transfer_at + timedelta(seconds=6)
    talk = rng.randint(30, 120)
    transfer_end = connected + timedelta(seconds=talk)
    transfer_duration = int((transfer_end - transfer_at).total_seconds())
    call_duration = int((transfer_end - answered).total_seconds())
    return [
        *_ring(TRANSFER, scheme, call, start, parties),
        status_webhook(TRANSFER, scheme, call, "in-progress", answered, parties),
        transfer_webhook(TRANSFER, call, "initiated", transfer_at, parties),
        transfer_webhook(TRANSFER, call, "connected", connected, parties),
        transfer_webhook(
            TRANSFER, call, "completed", transfer_end, parties, duration=transfer_duration
        ),
        status_webhook(
            TRANSFER, scheme, call, "completed", transfer_end + timedelta(seconds=1), parties,
            duration=call_duration, answered_by="human", hangup_cause="normal_clearing",
            hangup_source="caller",
        ),
    ]


def message_webhook(
    scheme: str,
    message_id: str,
    status: str,
    direction: str,
    sender: str,
    recipient: str,
    at: datetime,
    parties: Parties,
    *,
    body: str | None = None,
) -> Webhook:
    event = f"message.{status}"
    if scheme == JSON:
        # The blog's message shape, with the direction its call shape has: without it the
        # log could not tell our text from the customer's.
        payload: dict[str, object] = {
            "event": event,
            "message_id": message_id,
            "direction": direction,
            "from": sender,
            "to": recipient,
        }
        if body is not None:
            payload["body"] = body
        payload["created_at"] = json_time(at)
    else:
        payload = {
            "MessageId": message_id,
            "AccountId": parties.account_id,
            "From": sender,
            "To": recipient,
            "Direction": direction,
            "Type": "sms",
            "Status": status,
            "Timestamp": form_time(at),
        }
        if body is not None:
            # Only received messages carry their text (contract §2.4).
            payload.update({"Subject": "", "Body": body, "NumMedia": "0"})
    return Webhook(SMS_REPLY, event, message_id, scheme, payload)


def sms_reply(scheme: str, start: datetime, parties: Parties, rng: random.Random) -> list[Webhook]:
    """We text the customer (a reminder); they text back to confirm."""
    sent = new_id("MG", rng)
    reply = new_id("MG", rng)
    replied_at = start + timedelta(seconds=rng.randint(30, 90))
    return [
        message_webhook(
            scheme, sent, "sent", "outbound", parties.line, parties.customer, start, parties
        ),
        message_webhook(
            scheme, reply, "received", "inbound", parties.customer, parties.line, replied_at,
            parties, body=REPLY_BODY,
        ),
    ]


BUILDERS = {
    ANSWERED: answered_call,
    MISSED: missed_call,
    OUTBOUND: outbound_call,
    TRANSFER: transferred_call,
    SMS_REPLY: sms_reply,
}


def scheme_for(scenario: str, choice: str) -> str:
    """The scheme a scenario is sent in: the one asked for, or its share of ``both``."""
    return BOTH_SCHEMES[scenario] if choice == "both" else choice


def build_webhooks(
    scenarios: Iterable[str],
    scheme_choice: str,
    *,
    now: datetime,
    parties: Parties,
    rng: random.Random,
) -> list[Webhook]:
    """Every webhook of the chosen scenarios, in the order ClawOps would send them."""
    chosen = list(scenarios)
    webhooks: list[Webhook] = []
    for index, scenario in enumerate(chosen):
        start = now - _SCENARIO_SPACING * (len(chosen) - index)
        webhooks += BUILDERS[scenario](scheme_for(scenario, scheme_choice), start, parties, rng)
    return webhooks
