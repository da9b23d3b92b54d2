"""Reconciliation with ClawOps: what its API reports against what clawsite has.

Webhooks arrive at least once at best: a delivery ClawOps gave up on (an outage longer than
its retries, a network cut, a wrong URL) would be a missed-call alert that never fires.
Every few minutes (and on demand, ``manage.py reconcile_clawops``) the call list and the
message list are read newest first back to the window's start; each call or message that
clawsite has not seen, or has seen in an earlier state, is applied through the webhook
intake's own rules (calls.intake.apply_reported: the same merge, the same unique events,
so the same jobs follow), and recorded as recovered. The account webhook's delivery log
is read too, and its failed deliveries are listed for administrators.
"""
