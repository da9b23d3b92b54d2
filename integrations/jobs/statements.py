"""Statements the worker runs for every job, prepared on the PostgreSQL server
(calls/prepared.py): for the ``mark_sending`` that every sent job pays for, binding on the
server instead of quoting in Python is a fifth of the worker's CPU for the statement.

The statements use PostgreSQL's own ``$n`` placeholders; callers use them only when
``connection.vendor == "postgresql"`` and fall back to Django's cursor elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from psycopg import RawCursor

from calls import prepared


def execute(sql: str, params: Sequence[object]) -> RawCursor:
    """Run ``sql`` prepared on this thread's connection (checked first when
    CONN_HEALTH_CHECKS is on, as Django checks it per request); return the cursor."""
    connection.close_if_health_check_failed()
    return prepared.execute(sql, params)
