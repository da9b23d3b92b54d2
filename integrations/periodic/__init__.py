"""When each periodic task last ran, and the lease that keeps one of a kind at a time.

The sweeper, reconciliation and the purge run on the worker by schedule; each records its
start and end here (one row per task name). That record is the worker's heartbeat for
``/healthz`` and ``/metrics``: the sweeper runs every minute, so a worker that has recorded
nothing for several minutes is stopped or stuck.

Reconciliation also *claims* its row for a while (a conditional UPDATE on ``lease_until``)
so that two runs started at once — two workers, or a schedule plus an operator's command —
never overlap; a run whose worker died frees the row when its lease lapses.
"""
