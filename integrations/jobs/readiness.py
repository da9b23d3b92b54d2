"""Getting a worker process ready for jobs when it starts, not during its first batch.

Each django-q worker process would otherwise pay, in the middle of its first batch and while
its crew waits, for what the first jobs use once: the URL resolver that Slack alerts link
through (the first ``reverse`` builds it, some 70 ms of CPU), the outbound HTTP client (its
TLS context loads the certificate bundle, some 30 ms), the handlers' modules and the
process's database connection (kept for CONN_MAX_AGE, as its first task would keep it).
django-q sends ``post_spawn`` in each worker process as it starts.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.urls import reverse

logger = logging.getLogger(__name__)


def prepare_worker(**kwargs: object) -> None:
    """django-q's ``post_spawn`` receiver. A failure here is logged and left for the first
    job to meet: it must not keep the worker from starting."""
    from integrations.jobs import kinds
    from integrations.outbound import http

    try:
        for kind in kinds.table().values():
            kind.handler  # noqa: B018 (imports the handler's module)
        reverse("admin:index")  # builds the resolver, and the admin's whose pages alerts link to
        http.client()
        connection.ensure_connection()
    except Exception:
        logger.warning("could not prepare the worker process ahead of its jobs", exc_info=True)
