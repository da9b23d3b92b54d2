"""Fixtures of the end-to-end tests: one web server per broker for the whole package, a
fresh worker and empty receivers per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.e2e.receivers import (
    ClawOpsApiReceiver,
    CrmReceiver,
    SlackReceiver,
)
from tests.e2e.stack import Stack, base_environment, database_url
from tests.e2e.waiting import free_port
from tests.e2e.world import (
    ACCOUNT_ID,
    API_KEY,
    CRM_TOKEN,
    REDIS_URL,
    RUN_ID,
    SEGMENTS,
    SIGNING_KEY,
    SUMMARY,
    Receivers,
    World,
    redis_client,
)


def _forget_redis_keys(cluster_name: str) -> None:
    client = redis_client()
    keys = list(client.scan_iter(match=f"django_q:{cluster_name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="package", params=["orm", "redis"])
def broker(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        try:
            redis_client().ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
            pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return str(request.param)


@pytest.fixture(scope="package")
def receivers() -> Iterator[Receivers]:
    made = Receivers(
        slack=SlackReceiver("slack"),
        crm=CrmReceiver("crm", token=CRM_TOKEN),
        clawops=ClawOpsApiReceiver("clawops", ACCOUNT_ID, API_KEY, SEGMENTS, SUMMARY),
    )
    yield made
    for receiver in (made.slack, made.crm, made.clawops):
        receiver.close()


@pytest.fixture(scope="package")
def stack(broker: str, receivers: Receivers, django_db_setup: None,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web server, shared by the tests of one broker (it holds no state of its own
    between requests); the worker is per test. After django_db_setup, the connection's
    settings name pytest-django's test database."""
    cluster_name = f"clawsite-e2e-{RUN_ID}-{broker}"
    web_port = free_port()
    env = {
        **base_environment(),
        "DJANGO_SETTINGS_MODULE": "clawsite.settings",
        "DJANGO_SECRET_KEY": "e2e-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CLAWOPS_SIGNING_KEY": SIGNING_KEY,
        "CLAWOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "CLAWOPS_API_KEY": API_KEY,
        "CLAWOPS_ACCOUNT_ID": ACCOUNT_ID,
        "CLAWOPS_BASE_URL": receivers.clawops.url,
        "SLACK_WEBHOOK_URL": receivers.slack.webhook_url,
        "CRM_API_URL": receivers.crm.api_url,
        "CRM_API_TOKEN": CRM_TOKEN,
        # The first poll is due at once; the CRM record waits for the artifacts, not a clock.
        "ARTIFACT_POLL_DELAYS": "0,1,1",
        "CRM_MAX_WAIT_SECONDS": "3600",
        "JOB_RETRY_DELAYS": "1,1,1",
        "JOB_TIMEOUT_SECONDS": "10",
        "OUTBOUND_TIMEOUT_SECONDS": "5",
        "Q_CLUSTER_NAME": cluster_name,
        "Q_WORKERS": "2",
        "LOG_LEVEL": "INFO",
    }
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
    made = Stack(project_dir=Path(settings.BASE_DIR), env=env,
                 log_dir=tmp_path_factory.mktemp(f"e2e-{broker}"), web_port=web_port,
                 signing_key=SIGNING_KEY)
    try:
        made.start_web()
        yield made
    finally:
        made.stop()


@pytest.fixture
def world(transactional_db: None, broker: str, stack: Stack, receivers: Receivers,
          tmp_path: Path) -> Iterator[World]:
    """A clean slate for one test: empty receivers and queue, no worker running yet (each
    test decides when it starts). Depends on transactional_db so that the worker is gone
    before pytest-django empties the tables; the rows must be committed for the processes
    to see them, hence no test transaction."""
    cluster_name = stack.env["Q_CLUSTER_NAME"]
    for receiver in (receivers.slack, receivers.crm, receivers.clawops):
        receiver.reset()
    if broker == "redis":
        _forget_redis_keys(cluster_name)
    stack.new_worker(tmp_path / "worker.log")
    try:
        yield World(stack, receivers, broker, cluster_name)
    finally:
        stack.worker.stop()
        # Shown by pytest only when the test failed.
        print(stack.logs())
        if broker == "redis":
            _forget_redis_keys(cluster_name)
