"""Statements prepared on the PostgreSQL server, run on Django's own connection.

Django's cursors bind parameters on the client (psycopg's ``ClientCursor``), which cannot be
prepared: each execution quotes every value in Python and has the server parse and plan the
statement again. A raw psycopg cursor on the same connection — the same transaction, the
same autocommit — binds them on the server and lets it keep the plan. The busiest
statements go this way: the webhook intake's one statement (calls/store.py) and what the
worker runs for every job (integrations/jobs/statements.py). They use PostgreSQL's own
``$n`` placeholders, and run only when ``connection.vendor == "postgresql"``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import psycopg
from django.db import connection
from psycopg import RawCursor
from psycopg.pq import Format

_kept = threading.local()
_TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid


def execute(sql: str | bytes, params: Sequence[object]) -> RawCursor:
    """Run ``sql`` prepared on this thread's database connection; return the cursor (its
    rows and ``rowcount``). Database errors come out as Django's, as from its own cursors."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = _raw_cursor(connection.connection)
        cursor.execute(sql, params, prepare=True)
    return cursor


def _raw_cursor(pg_connection: psycopg.Connection) -> RawCursor:
    """One raw cursor per database connection, kept for the next statement: a new cursor
    starts with empty caches and looks up how to send each parameter type again.
    Connections are per thread, so is the cursor; a new connection (after a restart of the
    database, or CONN_MAX_AGE) gets a new one."""
    cursor = getattr(_kept, "cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not pg_connection:
        cursor = _kept.cursor = RawCursor(pg_connection)
        # Django reads timestamps with a loader of its own, written in Python, that puts
        # its connection's time zone on each value; the session's time zone is that one
        # (Django sets it), so psycopg's own loader (compiled) gives the same values at a
        # third of the CPU — a claimed job and its call hold a dozen of them.
        cursor.adapters.register_loader(
            "timestamptz", psycopg.adapters.get_loader(_TIMESTAMPTZ, Format.TEXT))
    return cursor
