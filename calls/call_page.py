"""What a call's admin page shows, in the order people ask: who, when, answered or missed
and the summary; then the conversation by speaker and the recording; then what to do; the
technical fields last, folded away.

templates/admin/calls/call/change_form.html shows all of call_page_context: the headline,
what was said, what the customer texted, what happened when, and the raw deliveries. The
order page (integrations.orders.admin) shows only what was said on the call that reached
the customer:
transcript_summary_context, through templates/admin/calls/includes/transcript_summary.html.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls import labels
from calls.admin_display import (
    NONE_YET,
    TIME_OF_DAY,
    admin_link,
    duration_text,
    outcome_badge,
    seoul_time,
)
from calls.models import ArtifactStatus, Call, CallEvent, Message, Summary, Transcript
from calls.phone import format_phone
from calls.vocabulary import ARTIFACT_KINDS, Direction, EventKind

# Shown as-is where ClawOps sends more keys than these (custom summary schemas).
SUMMARY_LABELS = {
    "coreSummary": _("Core summary"),
    "decisions": _("Decisions"),
    "followUps": _("Follow-ups"),
    "sentiment": _("Mood"),
}
# Legacy transcripts name the two sides; newer ones number the speakers (contract §9).
SPEAKERS = {"AGENT": _("Agent"), "CUSTOMER": _("Customer")}
MESSAGES_ON_CALL_PAGE = 20
# A call has a handful of deliveries; retries beyond this are in the linked full list.
DELIVERIES_ON_CALL_PAGE = 50


def call_page_context(call: Call) -> dict[str, Any]:
    """What templates/admin/calls/call/change_form.html shows below the call's fields."""
    number = call.customer_number
    nearby = (
        Message.objects.filter(Q(from_number=number) | Q(to_number=number))
        .order_by("-created_at", "-id")[:MESSAGES_ON_CALL_PAGE]
        if number
        else Message.objects.none()
    )
    deliveries = call.deliveries.order_by("received_at", "id")[:DELIVERIES_ON_CALL_PAGE]
    return {
        "headline": headline(call),
        "recording_url": call.recording_url if call.recording_url.startswith("https://") else "",
        **transcript_summary_context(call),
        "events": [_event_row(event) for event in call.events.all()],
        "customer_number": format_phone(number) if number else "",
        "nearby_messages": [_message_row(message) for message in nearby],
        "deliveries": [
            {
                "link": admin_link(d, f"#{d.pk}"),
                "received": seoul_time(d.received_at),
                "kind": d.get_kind_display(),
                "outcome": outcome_badge(d.outcome),
            }
            for d in deliveries
        ],
        "deliveries_url": (
            reverse("admin:calls_webhookdelivery_changelist") + f"?call__id__exact={call.pk}"
        ),
    }


def headline(call: Call) -> dict[str, str | bool]:
    """Who, when, answered or missed: the top of the call page."""
    ours = call.from_number if call.direction == Direction.OUTBOUND else call.to_number
    if call.is_missed:
        outcome = gettext("Missed")
    elif call.answered_at is not None or (call.status == "completed" and call.duration):
        outcome = gettext("Answered")
    else:
        outcome = str(call.get_status_display() or "-")
    return {
        "customer": format_phone(call.customer_number) or "-",
        "ours": format_phone(ours) or "-",
        "direction": str(call.get_direction_display() or "-"),
        "started": seoul_time(call.started_at),
        "outcome": outcome,
        "missed": call.is_missed,
        "duration": duration_text(call.duration),
        "answered_by": labels.answered_by_text(call.answered_by),
        "hangup": labels.hangup_cause_text(call.hangup_cause),
    }


def transcript_summary_context(call: Call) -> dict[str, Any]:
    """The call's summary and transcript, for templates/admin/calls/includes/
    transcript_summary.html (with ``none_yet`` for a section that has nothing yet)."""
    transcript = Transcript.objects.filter(call=call).first()
    summary = Summary.objects.filter(call=call).first()
    return {
        "none_yet": NONE_YET,
        "transcript": transcript,
        "transcript_status": transcript.get_status_display() if transcript else "",
        "transcript_lines": _transcript_lines(transcript),
        "summary": summary,
        "summary_status": summary.get_status_display() if summary else "",
        "summary_items": _summary_items(summary),
    }


def _event_row(event: CallEvent) -> dict[str, str]:
    if event.kind == EventKind.STATUS:
        status = labels.stage_text(event.status)
    elif event.kind == EventKind.TRANSFER:
        status = labels.transfer_status_text(event.status)
    elif event.kind in ARTIFACT_KINDS and event.status in ArtifactStatus.values:
        status = str(ArtifactStatus(event.status).label)
    else:
        status = event.status
    return {
        "time": seoul_time(event.occurred_at, TIME_OF_DAY),
        "kind": event.get_kind_display(),
        "status": status,
        "details": labels.detail_text(event.details),
    }


def _message_row(message: Message) -> dict[str, str]:
    return {
        "link": admin_link(message, message.message_id),
        "time": seoul_time(message.created_at),
        "direction": message.get_direction_display() or "-",
        "status": message.get_status_display() or "-",
        "body": Truncator(message.body).chars(80),
    }


def _clock(seconds: object) -> str:
    try:
        minutes, rest = divmod(int(float(seconds)), 60)
    except (TypeError, ValueError, OverflowError):
        return ""
    return f"{minutes}:{rest:02d}"


def _transcript_lines(transcript: Transcript | None) -> list[dict[str, str]]:
    if transcript is None or not isinstance(transcript.segments, list):
        return []
    segments = [segment for segment in transcript.segments if isinstance(segment, dict)]
    first = str(segments[0].get("speaker", "")) if segments else ""
    return [
        {
            "speaker": _speaker_name(str(segment.get("speaker", ""))),
            # The side that spoke first (the business answering, or our agent) on the left.
            "side": "first" if str(segment.get("speaker", "")) == first else "other",
            "time": _clock(segment.get("start")),
            "text": str(segment.get("text", "")),
        }
        for segment in segments
    ]


def _speaker_name(speaker: str) -> str:
    if speaker in SPEAKERS:
        return str(SPEAKERS[speaker])
    number = speaker.removeprefix("speaker_")
    if number.isdigit():
        return gettext("Speaker %(number)d") % {"number": int(number) + 1}
    return speaker


def _summary_items(summary: Summary | None) -> list[tuple[str, list[str]]]:
    """Each key of result_json as (label, lines): the default four first, then the rest."""
    if summary is None or not isinstance(summary.result_json, dict):
        return []
    result = summary.result_json
    keys = [k for k in SUMMARY_LABELS if k in result]
    keys += [k for k in result if k not in SUMMARY_LABELS]
    items = []
    for key in keys:
        value = result[key]
        if isinstance(value, list):
            lines = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value]
        elif isinstance(value, str):
            lines = [value] if value else []
        else:
            lines = [json.dumps(value, ensure_ascii=False)]
        items.append((SUMMARY_LABELS.get(key, key), lines))
    return items
