"""``GET /metrics`` in the Prometheus text format, for a scraper holding METRICS_TOKEN.

Every value is read from the database when the scrape comes, by a collector on a registry
of its own. That is what makes the figures right across gunicorn processes (and web and
worker machines): whichever process answers the scrape reads the same rows, a restart
loses nothing, and nothing is added to the webhook's hot path. The counters are counts of
rows that are never deleted (deliveries keep their row when their body is purged;
recoveries are kept), so they only go up, as Prometheus counters must. A scrape reads only
indexed slices: the deliveries since the last tally (integrations/periodic/tallies.py), the
jobs in the states an operator watches, the due jobs; bench/metrics_scrape.py measures it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from clawsite import health

# The job states an operator watches; done and skipped jobs only pile up, and counting them
# would read the whole ledger at every scrape (the job_due index serves these).
WATCHED_JOB_STATES = ("pending", "running", "failed", "unknown")


class DatabaseCollector:
    """The figures an operator alerts on, computed from the database at scrape time."""

    def collect(self) -> Iterator[Metric]:
        from integrations.models import FailedClawOpsDelivery, Job, RecoveredItem
        from integrations.periodic.runs import last_finished
        from integrations.periodic.tallies import delivery_totals

        now = timezone.now()

        deliveries = CounterMetricFamily(
            "clawsite_webhook_deliveries", "ClawOps webhook deliveries accepted, by outcome.",
            labels=["outcome"])
        for outcome, count in sorted(delivery_totals().items()):
            deliveries.add_metric([outcome], count)
        yield deliveries

        jobs = GaugeMetricFamily(
            "clawsite_jobs",
            "Jobs waiting, running, failed or in doubt (결과 확인 필요), by kind and state.",
            labels=["kind", "state"])
        watched = Job.objects.filter(state__in=WATCHED_JOB_STATES).order_by()
        for kind, state, n in (watched.values_list("kind", "state").annotate(n=Count("id"))
                               .values_list("kind", "state", "n")):
            jobs.add_metric([kind, state], n)
        yield jobs

        lag = health.queue_lag(now)
        yield GaugeMetricFamily("clawsite_jobs_due", "Jobs due now and not yet started.",
                                value=lag.due_jobs)
        yield GaugeMetricFamily(
            "clawsite_oldest_due_job_age_seconds",
            "How long the oldest due job has been waiting for a worker (0 if none).",
            value=lag.oldest_due_seconds)

        ages = GaugeMetricFamily(
            "clawsite_periodic_task_age_seconds",
            "Seconds since each periodic task (sweeper, reconciliation, purge) last finished.",
            labels=["task"])
        for task, finished in sorted(last_finished().items()):
            if finished is not None:
                ages.add_metric([task], max((now - finished).total_seconds(), 0.0))
        yield ages
        seen = health.worker_last_seen(now)
        if seen is not None:
            yield GaugeMetricFamily(
                "clawsite_worker_heartbeat_age_seconds",
                "Seconds since the worker last ran the sweeper (scheduled every minute).",
                value=seen)

        recoveries = CounterMetricFamily(
            "clawsite_reconciliation_recoveries",
            "Calls and messages reconciliation brought in that webhooks had not.",
            labels=["kind"])
        counts = dict(RecoveredItem.objects.order_by().values_list("kind")
                      .annotate(n=Count("id")).values_list("kind", "n"))
        for kind in ("call", "message"):
            recoveries.add_metric([kind], counts.get(kind, 0))
        yield recoveries
        yield CounterMetricFamily(
            "clawsite_clawops_failed_deliveries",
            "Deliveries to clawsite that ClawOps' webhook log reports as failed.",
            value=FailedClawOpsDelivery.objects.count())


def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("metrics are off: METRICS_TOKEN is not set\n", status=404,
                            content_type="text/plain; charset=utf-8")
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("a bearer token is required\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
