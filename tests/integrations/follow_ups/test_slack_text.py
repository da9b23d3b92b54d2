"""Slack alerts carry what callers send only as text: no mention, link or markup can be
injected through a caller's number (integrations/slack.py, mrkdwn escaping)."""

import json

import pytest
from django.utils import timezone

from calls.models import Call
from integrations.follow_ups.missed_calls import escape_mrkdwn, missed_call_message

pytestmark = pytest.mark.django_db
HOSTILE = "<!channel> <https://evil.example/|여기를 눌러 확인> & <@U123>"


def test_it_escapes_the_three_characters_slack_reads_as_markup():
    assert escape_mrkdwn("a & b <c> <!here>") == "a &amp; b &lt;c&gt; &lt;!here&gt;"


def test_it_puts_no_raw_mention_or_link_from_a_caller_into_the_alert():
    call = Call.objects.create(call_id="CA1", direction="inbound", status="no-answer",
                               from_number=HOSTILE, to_number=HOSTILE,
                               started_at=timezone.now())

    message = json.dumps(missed_call_message(call, 1), ensure_ascii=False)

    assert "<!channel>" not in message and "<https://evil" not in message
    assert "<@U123>" not in message
    assert "&lt;!channel&gt;" in message
    assert "&amp;" in message
