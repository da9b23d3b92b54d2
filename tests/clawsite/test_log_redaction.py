"""No secret and no customer's data in any log line (clawsite/log_redaction.py and the
LOGGING settings): checked on what the configured handler really writes."""

import io
import logging

import httpx
import pytest
import respx
from django.db import IntegrityError, connection

from clawsite.log_redaction import redact
from integrations.jobs import kinds, ledger
from integrations.models import Job
from tests.helpers import post_form

SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"


@pytest.fixture
def written() -> io.StringIO:
    """What the app's stderr handler writes, while the test runs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stderr")
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)


@pytest.mark.parametrize("text", ["010-5555-1234", "01055551234", "+82 10 5555 1234",
                                  "02-123-4567", "(from 010.5555.1234)"])
def test_it_hides_phone_numbers_in_any_common_format(text):
    assert "5555" not in redact(text) and "4567" not in redact(text)
    assert "[phone]" in redact(text)


def test_it_keeps_ids_times_and_counts_readable():
    line = "job 42 (slack.missed_call) retry at 2026-11-26 09:15:02, 3 attempts, CA7e1f2a"
    assert redact(line) == line


def test_it_hides_configured_secrets_tokens_and_sql_values():
    text = ("POST https://hooks.slack.com/services/T1/B2/abc failed; Authorization: Bearer "
            "crm-live-token-123 sk_live_abcdef\nDETAIL:  Key (order_id)=(김민지-1) already "
            "exists.\nLINE 1: ...VALUES ('01055551234', '김민지')")
    shown = redact(text, ["sk_live_abcdef"])
    for secret in ("T1/B2/abc", "crm-live-token-123", "sk_live_abcdef", "김민지", "0105555"):
        assert secret not in shown
    assert "DETAIL: [values]" in shown


@pytest.mark.django_db
@respx.mock
def test_it_keeps_the_slack_url_out_of_the_log_at_every_level(client, written, settings):
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        post_form(client, {"CallId": "CAlog", "CallStatus": "busy", "Direction": "inbound",
                           "From": "01055551234", "To": "07052351234"})
        job = Job.objects.get(kind=kinds.SLACK_MISSED_CALL)
        respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
        ledger.run(job.pk)  # delivered: httpx would log the URL at INFO
        Job.objects.filter(pk=job.pk).update(state="pending", next_attempt_at=job.created_at)
        respx.post(SLACK).mock(return_value=httpx.Response(404, text="no 010-5555-1234"))
        ledger.run(job.pk)  # refused: the ledger logs the failure
    finally:
        root.setLevel(level)

    log = written.getvalue()
    assert "slack.missed_call) failed: Slack answered 404" in log  # the run was logged
    assert "B000/XXXX" not in log and "hooks.slack.test" not in log
    assert "5555" not in log


@pytest.mark.django_db
def test_it_keeps_sql_values_of_a_database_error_out_of_the_traceback(written):
    logger = logging.getLogger("calls.intake")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE t (phone text UNIQUE)")
        cursor.execute("INSERT INTO t VALUES ('01055551234')")
        try:
            cursor.execute("INSERT INTO t VALUES ('01055551234')")
        except IntegrityError:
            logger.exception("could not store")

    log = written.getvalue()
    assert "could not store" in log and "IntegrityError" in log
    assert "01055551234" not in log and "5555" not in log


@pytest.mark.django_db
def test_it_logs_a_failed_delivery_by_id_and_kind_without_its_values(client, written):
    post_form(client, {"CallId": "CA1", "CallStatus": "exploded", "From": "01055551234",
                       "Direction": "inbound", "Body": "김민지 01099998888"})
    log = written.getvalue()
    assert "needing attention" in log
    assert "exploded" not in log and "9999" not in log
