"""What bench/jobs.py asks of Django, run in a process with the phase's environment
(database, broker): ``python -m bench.job_load <command> …`` prints one line of JSON.

- ``noop`` is the no-op task itself;
- ``noops N GROUP`` queues N no-op tasks in one transaction (one commit, like the jobs);
- ``jobs N TAG`` adds N jobs (half Slack alerts, half CRM records, each about a call of
  its own) in one transaction, which wakes the worker once it commits;
- ``lose-messages`` drops every queued message of the cluster, as a broker restart would.
"""

from __future__ import annotations

import json
import os
import sys

import django


def noop() -> None:
    return None


def queue_noops(count: int, group: str) -> dict[str, int]:
    from django.db import transaction
    from django_q.tasks import async_task

    with transaction.atomic():
        for _ in range(count):
            async_task("bench.job_load.noop", group=group)
    return {"queued": count}


def add_jobs(count: int, tag: str) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from calls.models import Call
    from integrations.jobs import kinds, ledger
    from integrations.models import Job

    now = timezone.now()
    with transaction.atomic():
        calls = Call.objects.bulk_create(
            Call(call_id=f"CA{tag}{n:06d}", direction="inbound", status="no-answer",
                 from_number=f"010{n:08d}", to_number="07052351234", started_at=now)
            for n in range(count)
        )
        Job.objects.bulk_create(
            Job(kind=kinds.SLACK_MISSED_CALL if n % 2 == 0 else kinds.CRM_ACTIVITY,
                subject=call.call_id, call=call, next_attempt_at=now)
            for n, call in enumerate(calls)
        )
        ledger.wake_on_commit()
    return {"added": count}


def lose_messages() -> dict[str, int]:
    from django_q.brokers import get_broker

    broker = get_broker()
    before = broker.queue_size() or 0
    broker.purge_queue()
    return {"dropped": before}


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    django.setup()
    command, *args = sys.argv[1:]
    if command == "noops":
        print(json.dumps(queue_noops(int(args[0]), args[1])))
    elif command == "jobs":
        print(json.dumps(add_jobs(int(args[0]), args[1])))
    elif command == "lose-messages":
        print(json.dumps(lose_messages()))
    else:
        sys.exit(f"unknown command {command!r}")
