"""Log lines: one per accepted webhook and per job outcome, ISO times with offset, JSON for
log shippers, and never a phone number, a body or a secret — whoever writes the line."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import respx
from django.conf import settings

from clawsite.error_reporting import scrub
from clawsite.logs import JsonFormatter, PlainFormatter, RedactFilter, redact
from integrations.jobs import ledger
from integrations.models import Job
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
SLACK = "https://hooks.slack.test/services/T000/B000/XXXX"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


class JsonLines(list):
    """What the JSON handler has written so far, one parsed object per line."""

    def __init__(self, stream: io.StringIO) -> None:
        super().__init__()
        self.stream = stream

    def read(self) -> JsonLines:
        self[:] = [json.loads(line) for line in self.stream.getvalue().splitlines()]
        return self


@pytest.fixture
def json_log() -> Iterator[JsonLines]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield JsonLines(stream)
    finally:
        root.removeHandler(handler)


def test_redact_hides_numbers_bodies_and_secrets_and_keeps_ids():
    text = ("From=%2B821055551234&To=070-5235-1234&Body=%EB%84%A4&CallId=CA7e1f2a "
            '{"body": "네 확인", "from": "+82 10 5555 1234"} Bearer abc.def sk_live_12345 '
            f"{settings.CRM_API_TOKEN} {settings.SLACK_WEBHOOK_URL} delivery 12 job 345")
    result = redact(text)
    assert "5555" not in result and "네 확인" not in result and "%EB" not in result
    assert settings.CRM_API_TOKEN not in result and "abc.def" not in result
    assert "sk_live" not in result and "hooks.slack" not in result
    assert "CA7e1f2a" in result and "delivery 12 job 345" in result
    assert "***-****-1234" in result


def test_one_json_line_per_accepted_webhook(client, json_log):
    post_form(client, {"CallId": "CAlog1", "CallStatus": "ringing", "Direction": "inbound",
                       "From": "010-5555-1234", "To": "07052351234"})
    post_form(client, {"MessageId": "MGlog1", "Status": "received", "From": "01055551234",
                       "To": "07052351234", "Body": "제 번호는 010-5555-1234"})
    json_lines = json_log.read()
    accepted = [line for line in json_lines if line["message"].startswith("webhook accepted")]
    assert [(line["kind"], line["outcome"], line["call_id"]) for line in accepted] == [
        ("call_status", "processed", "CAlog1"), ("message", "processed", "MGlog1")]
    assert all(isinstance(line["delivery_id"], int) for line in accepted)
    assert all(ISO_WITH_OFFSET.match(line["time"]) for line in json_lines)
    assert "5555" not in json.dumps(json_lines, ensure_ascii=False)


def test_a_delivery_that_needs_attention_names_its_delivery_id(client, json_log):
    post_form(client, {"CallId": "CAbad", "CallStatus": "exploded", "From": "010-5555-1234"})
    json_lines = json_log.read()
    [attention] = [line for line in json_lines if "needs attention" in line["message"]]
    assert attention["level"] == "WARNING"
    assert f"delivery {attention['delivery_id']} needs attention" in attention["message"]


@respx.mock
def test_one_line_per_job_outcome(client, json_log):
    respx.post(SLACK).mock(side_effect=[httpx.Response(200, text="ok"),
                                        httpx.Response(404, text="no_service 010-5555-1234")])
    for call_id, caller in (("CA1", "010-5555-1234"), ("CA2", "010-6666-1234")):
        post_form(client, {"CallId": call_id, "CallStatus": "no-answer", "Direction": "inbound",
                           "From": caller, "To": "07052351234"})
    done, failed = Job.objects.filter(kind="slack.missed_call").order_by("subject")
    ledger.run(done.pk)
    ledger.run(failed.pk)
    json_lines = json_log.read()
    outcomes = {line["job_id"]: line for line in json_lines if "job_id" in line}
    assert outcomes[done.pk]["state"] == "done" and outcomes[done.pk]["level"] == "INFO"
    assert (outcomes[failed.pk]["state"], outcomes[failed.pk]["level"]) == ("failed", "WARNING")
    assert outcomes[failed.pk]["job_kind"] == "slack.missed_call"
    assert "Slack answered 404" in outcomes[failed.pk]["reason"]
    assert "5555" not in json.dumps(json_lines, ensure_ascii=False)


def test_tracebacks_are_redacted_too():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PlainFormatter())
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        raise ValueError("cannot call 010-5555-1234 with sk_secret_value_1")
    except ValueError:
        logger.exception("failed for %s", "+82 10 5555 1234")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "ValueError" in text
    assert "5555" not in text and "sk_secret" not in text
    assert ISO_WITH_OFFSET.match(text.split(" ", 1)[0])


def test_an_unknown_log_format_stops_the_start():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SECRET_KEY": "x"}
    done = subprocess.run([sys.executable, "-c", "import clawsite.settings"], env=env,
                          cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "LOG_FORMAT must be plain or json" in done.stderr


def test_error_reports_leave_personal_data_behind():
    event = {
        "request": {"data": "Body=hello", "cookies": {"sessionid": "s"}, "query_string": "q",
                    "headers": {"Authorization": "Bearer t", "Content-Type": "text/plain"}},
        "logentry": {"message": "call 010-5555-1234 failed", "params": ["010-5555-1234"]},
        "exception": {"values": [{"value": "number 01055551234", "stacktrace": {
            "frames": [{"function": "f", "vars": {"phone": "01055551234"}}]}}]},
        "breadcrumbs": {"values": [{"message": "Body=secret", "data": {"x": 1}}]},
    }
    cleaned = json.dumps(scrub(event, {}), ensure_ascii=False)
    assert "5555" not in cleaned and "Bearer" not in cleaned and "hello" not in cleaned
    assert "sessionid" not in cleaned and "secret" not in cleaned
    assert "text/plain" in cleaned


# --- what the configured handler writes: httpx's URL line, SQL values ------------------------


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the app's own stderr handler (settings.LOGGING) writes while the test runs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stderr")
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)


def test_sql_values_of_a_database_error_are_hidden():
    text = ("IntegrityError: duplicate key\nDETAIL:  Key (order_id)=(김민지-1) already exists."
            "\nLINE 1: ...VALUES ('01055551234', '김민지')")
    shown = redact(text)
    assert "김민지" not in shown and "0105555" not in shown
    assert "DETAIL: [values]" in shown and "LINE 1: [values]" in shown


@respx.mock
def test_the_slack_url_stays_out_of_the_log_at_every_level(client, written):
    from integrations.jobs import kinds

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        post_form(client, {"CallId": "CAlog", "CallStatus": "busy", "Direction": "inbound",
                           "From": "01055551234", "To": "07052351234"})
        job = Job.objects.get(kind=kinds.SLACK_MISSED_CALL)
        respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
        ledger.run(job.pk)  # delivered: httpx logs the URL at INFO unless kept below the level
        Job.objects.filter(pk=job.pk).update(state="pending", next_attempt_at=job.created_at)
        respx.post(SLACK).mock(return_value=httpx.Response(404, text="no 010-5555-1234"))
        ledger.run(job.pk)
    finally:
        root.setLevel(level)

    log = written.getvalue()
    assert "(slack.missed_call) failed" in log  # the run was logged
    assert "B000/XXXX" not in log and "hooks.slack.test" not in log
    assert "5555" not in log


def test_a_database_error_logged_with_its_traceback_keeps_the_row_values_out(written):
    from django.db import IntegrityError, connection

    row = ["customer-" + "7" * 6, "이" + "영희"]  # built here: the traceback shows source lines
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE t (phone text UNIQUE, name text)")
        cursor.execute("INSERT INTO t VALUES (%s, %s)", row)
        try:
            cursor.execute("INSERT INTO t VALUES (%s, %s)", row)
        except IntegrityError:
            logging.getLogger("calls.intake").exception("could not store")

    log = written.getvalue()
    assert "could not store" in log and "IntegrityError" in log
    assert "777777" not in log and "영희" not in log
