"""ClawOps' own words (answered-by, hang-up causes and sources, transfer statuses, event
details) in the reader's language.

ClawOps sends these as English codes (contract §3); they are stored as sent and only put
into words here, when a page is drawn. A code this module does not know yet is shown as sent,
so a new value from ClawOps is visible rather than hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from calls.vocabulary import CallStage, CallStatus

ANSWERED_BY = {
    "human": _("Person"),
    "machine": _("Answering machine"),
    "unknown": _("Unknown"),
}

HANGUP_SOURCES = {
    "carrier": _("Carrier"),
    "callee": _("Called party"),
    "caller": _("Calling party"),
    "app": _("ClawOps application"),
    "system": _("ClawOps system"),
}

HANGUP_CAUSES = {
    "normal_clearing": _("Ended normally"),
    "caller_canceled": _("Caller hung up first"),
    "call_rejected": _("Call rejected"),
    "no_answer": _("No answer"),
    "user_busy": _("Line busy"),
    "invalid_number": _("Invalid number"),
    "number_changed": _("Number changed"),
    "incompatible_destination": _("Destination cannot take the call"),
    "temporary_failure": _("Temporary failure"),
    "switching_congestion": _("Network congestion"),
    "no_circuit_available": _("No circuit available"),
    "network_out_of_order": _("Network out of order"),
    "destination_out_of_order": _("Destination out of order"),
    "recovery_on_timer_expire": _("Timed out"),
    "resource_unavailable": _("Resource unavailable"),
    "protocol_error": _("Protocol error"),
    "unspecified": _("Unspecified"),
    "app_error": _("Application error"),
    "call_stuck": _("Call stuck"),
    "unknown": _("Unknown"),
    "recipient_blocked": _("Recipient blocked"),
    "concurrency_limit_exceeded": _("Too many calls at once"),
}

TRANSFER_STATUSES = {
    "initiated": _("Transfer started"),
    "ringing": _("Ringing"),
    "connected": _("Connected"),
    "completed": _("Transfer completed"),
    "failed": _("Transfer failed"),
    "no-answer": _("No answer"),
    "busy": _("Busy"),
    "canceled": _("Transfer cancelled"),
    "interrupted": _("Interrupted"),
}

# Keys of CallEvent.details: status callbacks' optional fields (calls.store) and transfer
# fields under their documented names (calls.payloads).
DETAIL_NAMES = {
    "answered_by": _("Answered by"),
    "duration": _("Duration"),
    "hangup_cause": _("Hang-up cause"),
    "hangup_source": _("Hung up by"),
    "sip_response_code": _("SIP response code"),
    "TransferTo": _("Transferred to"),
    "TransferMode": _("Transfer mode"),
    "TransferDuration": _("Transfer duration"),
    "TransferReason": _("Transfer reason"),
    "TransferContext": _("Transfer context"),
}
# Details whose values are codes this module puts into words.
_DETAIL_VALUES: dict[str, Mapping[str, object]] = {
    "answered_by": ANSWERED_BY,
    "hangup_cause": HANGUP_CAUSES,
    "hangup_source": HANGUP_SOURCES,
}


def _worded(words: Mapping[str, object], code: str) -> str:
    return str(words.get(code, code)) if code else "-"


def answered_by_text(code: str) -> str:
    return _worded(ANSWERED_BY, code)


def hangup_cause_text(code: str) -> str:
    return _worded(HANGUP_CAUSES, code)


def hangup_source_text(code: str) -> str:
    return _worded(HANGUP_SOURCES, code)


def transfer_status_text(code: str) -> str:
    return _worded(TRANSFER_STATUSES, code)


def call_status_text(code: str) -> str:
    return str(CallStatus(code).label) if code in CallStatus.values else code


def stage_text(code: str) -> str:
    return str(CallStage(code).label) if code in CallStage.values else code


def detail_text(details: Mapping[str, object]) -> str:
    """An event's details as "name: value" pairs, names and known codes in words."""
    pairs = []
    for key, value in details.items():
        words = _DETAIL_VALUES.get(key)
        shown = _worded(words, str(value)) if words else str(value)
        if key in ("duration", "TransferDuration"):
            shown = str(_("%(seconds)s s") % {"seconds": value})
        pairs.append(f"{DETAIL_NAMES.get(key, key)}: {shown}")
    return ", ".join(pairs)
