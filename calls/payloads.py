"""Recognise a ClawOps webhook payload and read its fields, strictly.

Both wire shapes end up here as a mapping: form fields (PascalCase, all strings) or a
JSON object (the blog's snake_case, any JSON types). Each field is looked up under every
name it is known by, and each value is checked for type, so a malformed payload fails
with a message that says which field is wrong (stored on the delivery, shown in admin).

The kind is recognised from the fields (contract §2): ``TransferStatus`` means a transfer
event, ``CallStatus`` a status callback, ``MessageId`` a message event, an event name
``transcript.*``/``summary.*``/``recording.*`` an artifact event; anything else is an
unknown kind, kept but not applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from calls.bounds import BoundsError, sane_timestamp, unstorable, visible, whole_number
from calls.phone import normalize_phone
from calls.vocabulary import (
    CALL_STAGE_ALIASES,
    TRANSFER_STATUSES,
    Direction,
    EventKind,
    MessageStatus,
)

# Read on every delivery: Choices.values builds a new list each time it is asked.
_DIRECTIONS = frozenset(Direction.values)
_MESSAGE_STATUSES = frozenset(MessageStatus.values)


class PayloadError(ValueError):
    """A signed payload that cannot be understood; the message names the field."""


@dataclass(frozen=True)
class Party:
    direction: str = ""
    from_raw: str = ""
    to_raw: str = ""

    # Cached: the intake reads each several times per delivery.
    @cached_property
    def from_number(self) -> str:
        return normalize_phone(self.from_raw)

    @cached_property
    def to_number(self) -> str:
        return normalize_phone(self.to_raw)


@dataclass(frozen=True)
class CallStatusEvent:
    call_id: str
    stage: str  # a CallStage value
    party: Party
    occurred_at: datetime | None
    duration: int | None = None
    answered_by: str = ""
    hangup_cause: str = ""
    hangup_source: str = ""
    sip_response_code: int | None = None
    recording_url: str = ""


@dataclass(frozen=True)
class TransferEvent:
    call_id: str
    sequence: int
    status: str
    party: Party
    occurred_at: datetime | None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MessageEventPayload:
    message_id: str
    status: str
    party: Party
    occurred_at: datetime | None
    type: str = ""
    subject: str = ""
    body: str = ""
    media_urls: tuple[str, ...] = ()
    account_id: str = ""


@dataclass(frozen=True)
class ArtifactEvent:
    """transcript.*, summary.* or recording.*: a trigger naming a call (contract §2.5)."""

    kind: str  # an EventKind among ARTIFACT_KINDS
    status: str  # the part after the dot: completed, failed, …
    call_id: str
    occurred_at: datetime | None


@dataclass(frozen=True)
class UnknownKind:
    reason: str


Payload = CallStatusEvent | TransferEvent | MessageEventPayload | ArtifactEvent | UnknownKind

# Each field under every name ClawOps' form callbacks, its JSON events or the blog use.
_NAMES: dict[str, tuple[str, ...]] = {
    "event": ("event", "Event", "EventType", "event_type"),
    "call_id": ("CallId", "call_id", "callId", "CallSid"),
    "call_status": ("CallStatus", "call_status", "status"),
    "direction": ("Direction", "direction"),
    "from": ("From", "from", "from_number"),
    "to": ("To", "to", "to_number"),
    "timestamp": ("Timestamp", "timestamp", "created_at", "createdAt"),
    "duration": ("CallDuration", "Duration", "duration"),
    "answered_by": ("AnsweredBy", "answered_by"),
    "hangup_cause": ("HangupCause", "hangup_cause"),
    "hangup_source": ("HangupSource", "hangup_source"),
    "sip_response_code": ("SipResponseCode", "sip_response_code"),
    "recording_url": ("RecordingUrl", "recording_url"),
    "transfer_status": ("TransferStatus", "transfer_status"),
    "transfer_sequence": ("TransferSequence", "transfer_sequence"),
    "message_id": ("MessageId", "message_id", "messageId"),
    "message_status": ("Status", "status"),
    "message_type": ("Type", "type"),
    "subject": ("Subject", "subject"),
    "body": ("Body", "body"),
    "num_media": ("NumMedia", "num_media"),
    "account_id": ("AccountId", "account_id"),
}

# Transfer fields kept as event details, under their documented names (contract §2.2).
_TRANSFER_DETAILS = (
    "TransferTo", "TransferMode", "TransferDuration", "TransferReason", "TransferContext",
)
_MAX_ID_LENGTH = 64
# The largest count or duration a field may carry (fits every integer column used).
_MAX_WHOLE_NUMBER = 2_000_000_000
_MAX_MEDIA = 20


class _Fields:
    """Typed access to a payload's fields by their canonical names."""

    def __init__(self, data: Mapping[str, object]) -> None:
        for key, value in data.items():
            reason = unstorable(key) or (unstorable(value) if isinstance(value, str) else None)
            if reason:
                raise PayloadError(f"field {visible(key)[:80]!r} contains {reason}")
        self.data = data

    def has(self, name: str) -> bool:
        return any(alias in self.data for alias in _NAMES.get(name, (name,)))

    def raw(self, name: str) -> tuple[str, object] | None:
        for alias in _NAMES.get(name, (name,)):
            if alias in self.data and self.data[alias] is not None:
                return alias, self.data[alias]
        return None

    def text(self, name: str, *, strip: bool = True) -> str:
        found = self.raw(name)
        if found is None:
            return ""
        alias, value = found
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise PayloadError(f"field {alias!r} must be text, not {type(value).__name__}")
        return str(value).strip() if strip else str(value)

    def identifier(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise PayloadError(f"field {_NAMES[name][0]!r} is missing or empty")
        if len(value) > _MAX_ID_LENGTH or not value.isprintable() or " " in value:
            raise PayloadError(f"field {_NAMES[name][0]!r} is not a valid id: {value[:80]!r}")
        return value

    def integer(self, name: str) -> int | None:
        found = self.raw(name)
        if found is None or found[1] == "":
            return None
        alias, value = found
        if isinstance(value, bool):
            raise PayloadError(f"field {alias!r} must be a whole number, not a boolean")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            # Bounded before conversion: int() refuses more than 4,300 digits with a crash.
            parsed = whole_number(value, low=0, high=_MAX_WHOLE_NUMBER)
            if parsed is None:
                raise PayloadError(f"field {alias!r} is out of range: {value.strip()[:20]}…")
            number = parsed
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise PayloadError(f"field {alias!r} must be a whole number, not {value!r}")
        if not 0 <= number <= _MAX_WHOLE_NUMBER:
            raise PayloadError(f"field {alias!r} is out of range: {number}")
        return number

    def timestamp(self) -> datetime | None:
        value = self.text("timestamp")
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise PayloadError(f"timestamp {value!r} is not ISO 8601") from None
        # ClawOps timestamps carry an offset (…Z); a bare one is taken as UTC.
        try:
            return sane_timestamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        except BoundsError as exc:
            raise PayloadError(str(exc)) from None

    def party(self) -> Party:
        direction = self.text("direction").lower()
        if direction and direction not in _DIRECTIONS:
            raise PayloadError(f"direction {direction!r} is neither inbound nor outbound")
        return Party(direction=direction, from_raw=self.text("from"), to_raw=self.text("to"))


def parse_payload(data: Mapping[str, object]) -> Payload:
    """Recognise the kind of a payload and read it; raise PayloadError if it is malformed."""
    fields = _Fields(data)
    event = fields.text("event").lower()
    family, _, action = event.partition(".")

    if fields.has("transfer_status") or family == "transfer":
        return _transfer(fields)
    if family == "call" or (not event and fields.has("call_id") and fields.has("call_status")):
        return _call_status(fields, action)
    if family == "message" or (not event and fields.has("message_id")):
        return _message(fields, action)
    if family in (EventKind.TRANSCRIPT, EventKind.SUMMARY, EventKind.RECORDING):
        if not action:
            raise PayloadError(f"event {event!r} has no status after the dot")
        return ArtifactEvent(
            kind=family,
            status=action,
            call_id=fields.identifier("call_id"),
            occurred_at=fields.timestamp(),
        )
    if event:
        return UnknownKind(f"event {event!r} is not one clawsite acts on")
    return UnknownKind("no field says what kind of webhook this is")


def _call_status(fields: _Fields, action_from_event: str) -> CallStatusEvent:
    given = fields.text("call_status").lower() or action_from_event
    if not given:
        raise PayloadError("call status is missing (CallStatus or event)")
    stage = CALL_STAGE_ALIASES.get(given)
    if stage is None:
        raise PayloadError(f"unknown call status {given!r}")
    return CallStatusEvent(
        call_id=fields.identifier("call_id"),
        stage=stage,
        party=fields.party(),
        occurred_at=fields.timestamp(),
        duration=fields.integer("duration"),
        answered_by=fields.text("answered_by").lower()[:16],
        hangup_cause=fields.text("hangup_cause")[:64],
        hangup_source=fields.text("hangup_source").lower()[:16],
        sip_response_code=_sip_code(fields),
        recording_url=fields.text("recording_url"),
    )


def _sip_code(fields: _Fields) -> int | None:
    code = fields.integer("sip_response_code")
    if code is not None and not 100 <= code <= 699:
        raise PayloadError(f"SipResponseCode {code} is not a SIP status code")
    return code


def _transfer(fields: _Fields) -> TransferEvent:
    status = fields.text("transfer_status").lower()
    if status not in TRANSFER_STATUSES:
        raise PayloadError(f"unknown transfer status {status!r}")
    sequence = fields.integer("transfer_sequence")
    if sequence is None or not 1 <= sequence <= 1000:
        raise PayloadError("TransferSequence must be a number from 1")
    details = {name: fields.text(name) for name in _TRANSFER_DETAILS if fields.has(name)}
    return TransferEvent(
        call_id=fields.identifier("call_id"),
        sequence=sequence,
        status=status,
        party=fields.party(),
        occurred_at=fields.timestamp(),
        details=details,
    )


def _message(fields: _Fields, action_from_event: str) -> MessageEventPayload:
    status = fields.text("message_status").lower() or action_from_event
    if status not in _MESSAGE_STATUSES:
        raise PayloadError(f"unknown message status {status!r}")
    num_media = fields.integer("num_media") or 0
    if num_media > _MAX_MEDIA:
        raise PayloadError(f"NumMedia {num_media} is more than {_MAX_MEDIA}")
    media_urls = tuple(fields.text(f"MediaUrl{i}") for i in range(num_media))
    if any(not url for url in media_urls):
        raise PayloadError(f"NumMedia is {num_media} but a MediaUrl field is missing")
    return MessageEventPayload(
        message_id=fields.identifier("message_id"),
        status=status,
        party=fields.party(),
        occurred_at=fields.timestamp(),
        type=fields.text("message_type").lower()[:8],
        subject=fields.text("subject", strip=False),
        body=fields.text("body", strip=False),
        media_urls=media_urls,
        account_id=fields.text("account_id")[:64],
    )

