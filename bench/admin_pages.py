"""Admin pages on a large log: builds a database with a million calls (and big delivery,
message and job lists) and times every list, filter, sort and search staff use.

Run from the project root: ``.venv/bin/python bench/admin_pages.py`` (``--help``).

The database (``clawsite_bench_admin``) is built with ``generate_series`` in a few
statements (a few minutes for a million calls) and kept for the next run; ``--rebuild``
builds it again. Each page is requested ``--repeat`` times through Django's test client,
logged in as a superuser, with the app's settings (DEBUG off); it prints the median and
slowest wall-clock time of each, the median CPU time of the process serving it and the
time it waited on PostgreSQL (on a shared machine the wall clock also holds time spent
waiting for a CPU), and, as the baseline of the same run, the admin's index page (which
reads none of these tables). Target: every page under 300 ms. Exit status: 0 when
every page answered 200 (whether or not it met the target), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0
# Columns of the call list as its "o" parameter counts them (0 is the action checkbox).
CALL_COLUMNS = {"started": 1, "direction": 2, "status": 5, "duration": 7, "answered by": 8}

PAGES: list[tuple[str, str]] = [
    ("calls: the log", "/admin/calls/call/"),
    ("calls: search last four digits", "/admin/calls/call/?q=5678"),
    ("calls: search middle digits", "/admin/calls/call/?q=5555"),
    ("calls: search a whole number", "/admin/calls/call/?q=010-5555-1234"),
    ("calls: search a call id", "/admin/calls/call/?q=CA0123abcd"),
    ("calls: search two letters", "/admin/calls/call/?q=zz"),  # too short for a trigram
    ("calls: missed", "/admin/calls/call/?missed=yes"),
    ("calls: not missed", "/admin/calls/call/?missed=no"),
    ("calls: inbound", "/admin/calls/call/?direction__exact=inbound"),
    ("calls: status completed", "/admin/calls/call/?status__exact=completed"),
    ("calls: status canceled (rare)", "/admin/calls/call/?status__exact=canceled"),
    ("calls: started today", "/admin/calls/call/?{today}"),
    ("calls: started this year", "/admin/calls/call/?{year}"),
    ("calls: missed, last four digits", "/admin/calls/call/?missed=yes&q=5678"),
    *[(f"calls: sort by {name} {'desc' if sign else 'asc'}", f"/admin/calls/call/?o={sign}{n}")
      for name, n in CALL_COLUMNS.items() for sign in ("", "-")],
    ("calls: missed, by duration", "/admin/calls/call/?missed=yes&o=-7"),
    ("calls: page 500", "/admin/calls/call/?p=500"),
    ("deliveries: the list", "/admin/calls/webhookdelivery/"),
    ("deliveries: needing attention", "/admin/calls/webhookdelivery/?outcome__exact=failed"),
    ("deliveries: duplicates", "/admin/calls/webhookdelivery/?outcome__exact=duplicate"),
    ("deliveries: kind transcript", "/admin/calls/webhookdelivery/?kind__exact=transcript"),
    ("deliveries: search a call id", "/admin/calls/webhookdelivery/?q=CA0123abcd"),
    ("deliveries: sort by outcome", "/admin/calls/webhookdelivery/?o=4"),
    ("messages: the list", "/admin/calls/message/"),
    ("messages: search last four digits", "/admin/calls/message/?q=5678"),
    # Words no message holds: the first is looked up by its trigrams; the other two have
    # none and read the table.
    ("messages: search words of the text",
     "/admin/calls/message/?" + urlencode({"q": "예약 변경"})),
    ("messages: search a two-syllable word", "/admin/calls/message/?" + urlencode({"q": "취소"})),
    ("messages: search two letters", "/admin/calls/message/?q=ok"),
    ("messages: status failed", "/admin/calls/message/?status__exact=failed"),
    ("jobs: the list", "/admin/integrations/job/"),
    ("jobs: failed", "/admin/integrations/job/?state__exact=failed"),
    ("jobs: kind CRM", "/admin/integrations/job/?kind=crm.activity"),
    ("jobs: search a call id", "/admin/integrations/job/?q=CA0123abcd"),
]


def build(url: str, admin_url: str, database: str, calls: int, env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    migrate(env)
    sql = (Path(__file__).parent / "admin_data.sql").read_text()
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in sql.split(";\n"):
            if statement.strip():
                conn.execute(statement.replace(":calls", str(calls)))
        conn.execute("VACUUM ANALYZE")
    print(f"built {calls} calls and the other lists in {time.monotonic() - started:.0f} s",
          flush=True)


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v",
                    "0"], cwd=ROOT, env=env, check=True)


def time_pages(repeat: int) -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    # The parameters the admin's date filter links carry (local midnights).
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    year = today.replace(month=1, day=1)
    fill = {"today": date_range(today, today + timedelta(days=1)),
            "year": date_range(year, year.replace(year=year.year + 1))}
    baseline = measure(client, "/admin/", repeat)
    print(f"{'page':42} {'wall':>8} {'slowest':>8} {'app CPU':>8} {'SQL':>8} {'/base':>6}")
    print(f"{'baseline: admin index':42} {baseline.wall:8.1f} {baseline.worst:8.1f} "
          f"{baseline.cpu:8.1f} {baseline.sql:8.1f}")
    failures = slow = 0
    for label, path in PAGES:
        timing = measure(client, path.format(**fill), repeat)
        failures += timing.status != 200
        slow += timing.wall > TARGET_MS
        verdict = "ok" if timing.wall <= TARGET_MS else "SLOW"
        print(f"{label:42} {timing.wall:8.1f} {timing.worst:8.1f} {timing.cpu:8.1f} "
              f"{timing.sql:8.1f} {timing.wall / baseline.wall:6.1f}  {timing.status} {verdict}",
              flush=True)
    print(f"{len(PAGES)} pages, {slow} over {TARGET_MS:.0f} ms (median wall), {failures} not 200;"
          " times in ms; app CPU is this process's, SQL the time spent waiting on PostgreSQL")
    print("load average:", " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    return 1 if failures else 0


def date_range(start: datetime, end: datetime) -> str:
    return urlencode({"started_at__gte": str(start), "started_at__lt": str(end)})


@dataclass(frozen=True)
class Timing:
    wall: float  # ms, median
    worst: float  # ms, slowest
    cpu: float  # ms of this process's CPU (Django, the template), median
    sql: float  # ms waiting for PostgreSQL, median
    status: int


def measure(client, path: str, repeat: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm: templates, plans, pages of the table in memory
    walls, cpus, sqls, status = [], [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            cpu, started = time.process_time(), time.perf_counter()
            status = client.get(path).status_code
            walls.append(1000 * (time.perf_counter() - started))
            cpus.append(1000 * (time.process_time() - cpu))
        sqls.append(1000 * sum(float(query["time"]) for query in queries.captured_queries))
    return Timing(statistics.median(walls), max(walls), statistics.median(cpus),
                  statistics.median(sqls), status)


def main() -> int:
    parser = argparse.ArgumentParser(description="Admin pages at a million calls.")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="clawsite_bench_admin")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench' (it is dropped and created)")
    url = f"{args.admin_url}/{args.database}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clawsite.settings",
           "DJANGO_SECRET_KEY": "bench-only", "DJANGO_DEBUG": "false", "DATABASE_URL": url,
           "DATABASE_CONN_MAX_AGE": "600", "DJANGO_ALLOWED_HOSTS": "testserver",
           "LOG_LEVEL": "ERROR", "PYTHONWARNINGS": "ignore:No directory at"}
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            (have,) = conn.execute("SELECT count(*) FROM calls_call").fetchone()
    except psycopg.Error:
        have = -1
    if args.rebuild or have != args.calls:
        build(url, args.admin_url, args.database, args.calls, env)
    else:  # the schema may have moved on since the database was built
        migrate(env)
    os.environ.update(env)
    print("load average:", " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    return time_pages(args.repeat)


if __name__ == "__main__":
    sys.exit(main())
