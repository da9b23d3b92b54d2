"""S1: one Slack message per missed inbound call (or per run of missed calls from one
caller within MISSED_CALL_WINDOW_MINUTES), through the incoming-webhook URL."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from calls.models import Call
from calls.phone import format_phone
from integrations.formatting import korean_datetime
from integrations.jobs import ledger
from integrations.jobs.outcomes import Done
from integrations.models import Job
from integrations.outbound import http


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
    """Block Kit: who called, when (Korean time), how often, and a link to the call."""
    caller = escape_mrkdwn(format_phone(call.from_number)) or "발신번호 없음"
    ours = escape_mrkdwn(format_phone(call.to_number))
    when = korean_datetime(call.started_at)
    repeat = f" · {count}회 연속" if count > 1 else ""
    return {
        "text": f"부재중 전화: {caller} ({when}){repeat} — 콜백 필요",
        "blocks": [
            {"type": "header",
             "text": {"type": "plain_text", "text": "📞 부재중 전화 — 콜백 필요"}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": f"*발신 번호*\n{caller}"},
                {"type": "mrkdwn", "text": f"*통화 시각*\n{when}"},
                {"type": "mrkdwn", "text": f"*받은 번호*\n{ours}"},
                {"type": "mrkdwn", "text": f"*부재중 횟수*\n{count}회"},
            ]},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "통화 기록 보기"},
                 "url": admin_url(call)},
            ]},
        ],
    }
