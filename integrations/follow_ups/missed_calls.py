"""S1: one Slack message per missed inbound call (or per run of missed calls from one
caller within MISSED_CALL_WINDOW_MINUTES), through the incoming-webhook URL."""

from __future__ import annotations

import functools
import json
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix, get_urlconf, reverse

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
    before, after = _change_path_around_pk(get_script_prefix(), get_urlconf())
    return f"{settings.CLAWOPS_PUBLIC_BASE_URL}{before}{call.pk}{after}"


@functools.lru_cache(maxsize=8)
def _change_path_around_pk(script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The admin path of a call's page, split where its id goes: what ``reverse`` gives for
    any id is this with the id's digits between (the path converter and quoting leave
    digits as they are), at a small part of reverse's CPU on every alert."""
    marker = "9081726354"
    path = reverse("admin:calls_call_change", args=[marker])
    if path.count(marker) != 1:
        raise ImproperlyConfigured(f"cannot tell where the id goes in the call admin path {path!r}")
    before, _, after = path.partition(marker)
    return before, after


TEMPLATE = "integrations/slack_missed_call.json"
# The values that differ from call to call. The template is rendered once per language and
# shape with a marker in place of each (Unicode private-use characters, which no template
# text or translation holds), then each alert fills a copy.
PER_CALL = ("caller", "when", "called", "url")
_MARKER = "\ue000{}\ue001"
_MARKED = re.compile("\ue000(" + "|".join(PER_CALL) + ")\ue001")


def missed_call_message(call: Call, count: int) -> dict[str, object]:
    """Block Kit: who called, when (Korean time), how often, and a link to the call
    (templates/integrations/slack_missed_call.json).

    The same message as ``render_message`` of the call's values, at a fifth of the CPU:
    the template only puts these values into text (the escaping it applies is undone by
    parsing the JSON), so filling markers in the parsed message gives what rendering the
    values would (tests/integrations/follow_ups/test_slack_text.py proves it on arbitrary
    text). Only the count and whether the number is known change the template's course.
    """
    return message({
        # What callers send is text to Slack, never markup (escape_mrkdwn).
        "caller": escape_mrkdwn(format_phone(call.from_number)),
        "when": korean_datetime(call.started_at),
        "called": escape_mrkdwn(format_phone(call.to_number)),
        "url": admin_url(call),
    }, count)


def message(values: dict[str, str], count: int) -> dict[str, object]:
    """``render_message(values, count)``, from the cached frame of its shape."""
    frame = _frame(settings.LANGUAGE_CODE, count, caller_known=bool(values["caller"]))
    return _filled(frame, values)


def render_message(values: dict[str, str], count: int) -> dict[str, object]:
    """The template rendered with these values and parsed (it holds only valid JSON: every
    value goes through escapejs, and a broken template fails here, loudly)."""
    return json.loads(render_text(TEMPLATE, {**values, "count": count}))


@functools.lru_cache(maxsize=64)
def _frame(language: str, count: int, *, caller_known: bool) -> dict[str, object]:
    """The message with a marker for each per-call value (``language`` keys the cache:
    render_text renders in settings.LANGUAGE_CODE)."""
    marked = {name: _MARKER.format(name) for name in PER_CALL}
    if not caller_known:
        marked["caller"] = ""  # the template says "no caller number" instead
    return render_message(marked, count)


def _filled(node: object, values: dict[str, str]) -> object:
    """A copy of ``node`` with each marker replaced by its value, in one pass (a value that
    looks like a marker stays as it is)."""
    if isinstance(node, str):
        return _MARKED.sub(lambda match: values[match.group(1)], node) if "\ue000" in node \
            else node
    if isinstance(node, dict):
        return {key: _filled(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_filled(item, values) for item in node]
    return node
