"""A django-q worker process gets ready for jobs as it starts (integrations/jobs/readiness.py):
the outbound HTTP client is made, the URL resolver built and the database connected before
the first batch."""

import logging
import os

import pytest
from django.db import connection
from django.urls import clear_url_caches, get_resolver
from django_q.signals import post_spawn

from integrations.outbound import http


def spawn() -> None:
    """What django-q does in each worker process it starts."""
    post_spawn.send(sender="django_q", proc_name="Process-1")


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_makes_its_client_resolver_and_connection_as_it_starts(monkeypatch):
    monkeypatch.setattr(http, "_client", None)
    clear_url_caches()
    connection.close()

    spawn()

    assert http._client is not None and http._client_pid == os.getpid()
    resolver = get_resolver()
    assert resolver._populated
    assert resolver.namespace_dict["admin"][1]._populated  # the admin's, which alerts link to
    assert connection.connection is not None


def test_a_worker_that_cannot_prepare_still_starts_and_says_so(monkeypatch, caplog):
    def broken():
        raise OSError("no certificate bundle")

    monkeypatch.setattr(http, "client", broken)

    with caplog.at_level(logging.WARNING, logger="integrations.jobs.readiness"):
        spawn()

    assert "could not prepare the worker process" in caplog.text
