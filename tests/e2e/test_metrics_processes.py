"""`/metrics` under gunicorn with two worker processes: whichever process answers a scrape,
the figures are the same and match the database — deliveries accepted by one process are
counted by the other (the values are read from the database at scrape time)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from calls.models import WebhookDelivery
from tests.e2e.stack import Stack, base_environment, database_url
from tests.e2e.waiting import free_port, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the end-to-end tests run on PostgreSQL"),
]
TOKEN = "metrics-e2e-token"


@pytest.fixture
def web(transactional_db: None, tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    env = {
        **base_environment(),
        "DJANGO_SETTINGS_MODULE": "clawsite.settings",
        "DJANGO_SECRET_KEY": "e2e-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CLAWOPS_SIGNING_KEY": "sk_sign_e2e",
        "CLAWOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "METRICS_TOKEN": TOKEN,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    stack = Stack(project_dir=Path(settings.BASE_DIR), env=env, log_dir=tmp_path,
                  web_port=port, signing_key="sk_sign_e2e")
    # Each request's serving process in the access log: "<pid> path status".
    stack.web.argv += ["--access-logfile", "-", "--access-logformat", "%(p)s %(U)s %(s)s",
                       "--keep-alive", "0"]
    try:
        stack.start_web()
        yield stack
    finally:
        stack.stop()
        print(stack.logs())


def deliveries_total(text: str) -> dict[str, float]:
    return {sample.labels["outcome"]: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name == "clawsite_webhook_deliveries_total"}


def test_every_process_reports_the_same_figures_from_the_database(web: Stack):
    for number in range(6):
        web.post_form({"CallId": f"CAproc{number % 4}", "CallStatus": "no-answer",
                       "Direction": "inbound", "From": "01055551234", "To": "07052351234"})

    answers = []
    for _ in range(30):
        with httpx.Client() as client:  # a new connection each time
            response = client.get(web.web_url + "/metrics", timeout=10,
                                  headers={"Authorization": f"Bearer {TOKEN}",
                                           "Host": "10.1.2.3"})  # a scraper using an IP
        assert response.status_code == 200, response.text
        answers.append(deliveries_total(response.text))

    assert answers[0] == {"processed": 4, "duplicate": 2, "ignored": 0, "failed": 0}
    assert all(answer == answers[0] for answer in answers)
    assert sum(answers[0].values()) == WebhookDelivery.objects.count()

    def metrics_pids() -> set[str]:
        return set(re.findall(r"^<(\d+)> /metrics 200$", web.web.log_tail(lines=2000), re.M))

    served_by = wait_for(lambda: metrics_pids() if len(metrics_pids()) >= 2 else None,
                         "scrapes answered by both worker processes", timeout=5)
    assert len(served_by) == 2
