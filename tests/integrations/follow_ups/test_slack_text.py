"""Slack alerts carry what callers send only as text: no mention, link or markup can be
injected through a caller's number (integrations/follow_ups/missed_calls.py, mrkdwn
escaping); and an alert, filled in from the template's cached frame, is exactly the
template rendered with its values."""

import json

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from calls.models import Call
from integrations.follow_ups.missed_calls import (
    PER_CALL,
    admin_url,
    escape_mrkdwn,
    message,
    missed_call_message,
    render_message,
)

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


# Text as callers and settings may hold it: markup, quotes, JSON and template syntax, line
# breaks, Korean, private-use characters (the frame's markers are made of them), nothing.
PIECES = ['"', "\\", "<", ">", "&", "\n", "\u2028", "{{", "%s", "%(who)s", "\ue000", "\ue001",
          "caller", "url", "전화", " "]
VALUE = st.one_of(st.text(), st.lists(st.sampled_from(PIECES), max_size=12).map("".join))


@hypothesis_settings(max_examples=300, deadline=None)
@given(values=st.fixed_dictionaries({name: VALUE for name in PER_CALL}),
       count=st.integers(min_value=1, max_value=40))
@example(values={"caller": "\ue000url\ue001", "when": "", "called": "\ue000caller\ue001",
                 "url": "https://clawsite.test/admin/calls/call/1/change/"}, count=2)
def test_an_alert_is_the_template_rendered_with_its_values(values, count):
    assert message(values, count) == render_message(values, count)


def test_an_alert_follows_the_site_language_once_it_changes(settings):
    values = {"caller": "010-5555-1234", "when": "11월 26일(목) 09:15", "called": "070",
              "url": "https://clawsite.test/admin/calls/call/1/change/"}
    korean = message(values, 1)
    settings.LANGUAGE_CODE = "en"
    with translation.override("ko"):
        english = message(values, 1)

    assert korean["text"].startswith("부재중 전화: 010-5555-1234")
    assert english["text"].startswith("Missed call: 010-5555-1234")
    assert english == render_message(values, 1)


@pytest.mark.parametrize("prefix", ["/", "/clawsite/"])
def test_the_link_to_a_call_is_the_one_reverse_gives(settings, prefix):
    settings.CLAWOPS_PUBLIC_BASE_URL = "https://clawsite.test"
    set_script_prefix(prefix)
    try:
        for pk in (1, 7, 1234567890123):
            call = Call(pk=pk, call_id=f"CA{pk}", started_at=timezone.now())
            assert admin_url(call) == "https://clawsite.test" + reverse(
                "admin:calls_call_change", args=[pk])
            assert admin_url(call).endswith(f"{prefix}admin/calls/call/{pk}/change/")
    finally:
        set_script_prefix("/")
