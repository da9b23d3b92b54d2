"""The README's five-line API client runs as written against a running server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from integrations.models import Appointment, Job
from tests.integrations.api.api_client import clinic_with_key

pytestmark = pytest.mark.django_db(transaction=True)
MARKER = "<!-- tests/test_readme_client_example.py runs the next block as written -->"


def client_example() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    after = readme.split(MARKER, 1)[1]
    block = re.match(r"\s*```python\n(.*?)```", after, re.S)
    assert block, "the marker must be followed by a python block"
    return block.group(1)


def test_the_readme_client_example_is_five_lines():
    assert len(client_example().strip().splitlines()) == 5


def test_the_readme_client_example_books_and_lists_as_written(live_server, monkeypatch, capsys):
    _clinic, key = clinic_with_key()
    monkeypatch.setenv("CLAWSITE_URL", live_server.url)
    monkeypatch.setenv("CLAWSITE_API_KEY", key)
    code = compile(client_example(), "README.md", "exec")

    exec(code, {})  # noqa: S102 - the README's own example, run as a reader would
    exec(code, {})  # noqa: S102 - again: the same appointment, nothing new

    printed = capsys.readouterr().out.splitlines()
    appointment = Appointment.objects.get()
    assert (appointment.external_id, appointment.patient_name) == ("B-1001", "김민지")
    assert Job.objects.count() == 2
    assert len(printed) == 4
    assert "'external_id': 'B-1001'" in printed[0] and "'status': 'scheduled'" in printed[0]
    assert printed[2] == printed[0]
    assert "'B-1001'" in printed[3]
