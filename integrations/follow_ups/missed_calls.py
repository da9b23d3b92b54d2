"""S1: one Slack message per missed inbound call (or per run of missed calls from one
caller within MISSED_CALL_WINDOW_MINUTES), through the incoming-webhook URL."""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse

from calls.models import Call
from calls.phone import format_phone
from integrations.formatting import korean_datetime
from integrations.jobs import ledger
from integrations.jobs.outcomes import Done
from integrations.models import Job
from integrations.outbound import http
from integrations.texts import render_text


def send_missed_call_alert(job: Job) -> Done:
    call = job.call
    if call is None:
        return Done({"skipped": "the call was deleted"})
    count = len(job.payload.get("call_ids", [])) or 1
    message = missed_call_message(call, count)
    ledger.mark_sending(job)
    http.post_json("Slack", settings.SLACK_WEBHOOK_URL, message)
    return Done({"calls_reported": count})


def escape_mrkdwn(text: str) -> str:
    """Text from outside (a caller's number) as Slack shows it, never as markup: ``<!channel>``
    would ping everyone, ``<https://…|label>`` disguise a link
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def admin_url(call: Call) -> str:
    return settings.CLAWOPS_PUBLIC_BASE_URL + reverse("admin:calls_call_change", args=[call.pk])


def missed_call_message(call: Call, count: int) -> dict[str, object]:
    """Block Kit: who called, when (Korean time), how often, and a link to the call
    (templates/integrations/slack_missed_call.json)."""
    return json.loads(render_text("integrations/slack_missed_call.json", {
        # What callers send is text to Slack, never markup (escape_mrkdwn).
        "caller": escape_mrkdwn(format_phone(call.from_number)),
        "when": korean_datetime(call.started_at),
        "called": escape_mrkdwn(format_phone(call.to_number)),
        "count": count,
        "url": admin_url(call),
    }))
