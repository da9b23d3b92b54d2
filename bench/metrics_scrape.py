"""What one `/metrics` scrape costs on a large database, next to a bare query.

Run from the project root: ``.venv/bin/python bench/metrics_scrape.py [--deliveries N]
[--jobs N] [--scrapes N]``. It creates a scratch PostgreSQL database, migrates it, fills
``calls_webhookdelivery`` and ``integrations_job`` with generated rows (outcomes, kinds and
states spread like a ledger's: mostly done, a few waiting or failed; ``--pending-per-mille``
makes a backlog), then times the scrape view in-process (every value is
computed from the database at scrape time; the deliveries counter from the tally the
sweeper keeps) against a bare ``SELECT 1`` round trip on the
same connection, and prints both and their ratio. The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "clawsite_bench_metrics"
TOKEN = "bench-metrics-token"


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE


def recreate() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")


def drop() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def fill(deliveries: int, jobs: int, pending_per_mille: int) -> None:
    with psycopg.connect(database_url(), autocommit=True) as db:
        # One delivery a second up to now, ids in the order they arrived.
        db.execute("""
            INSERT INTO calls_webhookdelivery
                (received_at, scheme, content_type, headers, url, body, kind, outcome, error)
            SELECT now() - ((%s - i) || ' seconds')::interval, 'x-signature',
                   'application/x-www-form-urlencoded', '{}', 'https://x/webhooks/clawops/',
                   convert_to('CallId=CA' || i || '&CallStatus=completed', 'UTF8'),
                   'call_status',
                   (ARRAY['processed','processed','processed','duplicate','ignored','failed'])
                       [1 + i %% 6],
                   ''
            FROM generate_series(1, %s) AS i""", [deliveries, deliveries])
        db.execute("""
            INSERT INTO integrations_job
                (kind, subject, group_key, state, attempts, next_attempt_at, last_error,
                 payload, result, created_at, updated_at)
            SELECT (ARRAY['slack.missed_call','clawops.artifacts','crm.activity',
                          'reminder.sms','reminder.call'])[1 + i %% 5],
                   'S' || i, '',
                   CASE WHEN i %% 1000 < %s THEN 'pending'
                        WHEN i %% 100 = 0 THEN 'failed' WHEN i %% 100 = 1 THEN 'unknown'
                        WHEN i %% 100 < 5 THEN 'skipped' ELSE 'done' END,
                   1, now() + ((i %% 100 - 50) || ' seconds')::interval, '', '{}', '{}',
                   now(), now()
            FROM generate_series(1, %s) AS i""", [pending_per_mille, jobs])
        db.execute("ANALYZE")


def measure(scrapes: int) -> tuple[list[float], list[float], int]:
    os.environ.update(DJANGO_SETTINGS_MODULE="clawsite.settings", DATABASE_URL=database_url(),
                      METRICS_TOKEN=TOKEN, DJANGO_SECRET_KEY="bench")
    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory

    from clawsite.metrics import metrics_view
    from integrations.periodic import tallies

    # What the sweeper does every minute: the deliveries counter starts from its tally.
    start = time.perf_counter()
    tallies.advance()
    print(f"first tally of the deliveries (the sweeper's, once): "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    request = RequestFactory().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    scrape_ms, bare_ms = [], []
    size = 0
    for _ in range(scrapes):
        start = time.perf_counter()
        response = metrics_view(request)
        scrape_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        size = len(response.content)
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        bare_ms.append((time.perf_counter() - start) * 1000)
    return scrape_ms, bare_ms, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--pending-per-mille", type=int, default=10,
                        help="jobs waiting, per thousand (half of them due); 100 = a backlog")
    args = parser.parse_args()
    recreate()
    try:
        env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SECRET_KEY": "bench"}
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0",
                        "--skip-checks"],
                       env=env, check=True, cwd=ROOT)
        started = time.perf_counter()
        fill(args.deliveries, args.jobs, args.pending_per_mille)
        print(f"filled {args.deliveries:,} deliveries and {args.jobs:,} jobs "
              f"({args.pending_per_mille}‰ pending, 1% failed, 1% unknown) "
              f"in {time.perf_counter() - started:.0f} s")
        scrape_ms, bare_ms, size = measure(args.scrapes)
    finally:
        if "django.db" in sys.modules and os.environ.get("DJANGO_SETTINGS_MODULE"):
            from django.db import connections

            connections.close_all()
        drop()
    median_scrape, median_bare = statistics.median(scrape_ms), statistics.median(bare_ms)
    print(f"scrape ({size:,} bytes): median {median_scrape:.1f} ms, "
          f"max {max(scrape_ms):.1f} ms over {len(scrape_ms)} scrapes")
    print(f"bare SELECT 1: median {median_bare:.2f} ms")
    print(f"ratio scrape / bare query: {median_scrape / median_bare:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
