"""The app's own settings for the worker benchmark (bench/jobs.py), with one change for
both of its phases alike: django-q keeps every task result (``save_limit`` 0) so that the
no-op tasks can be counted. That skips the pruning a positive limit does after each task,
which makes the no-op baseline faster, not slower."""

from clawsite.settings import *  # noqa: F403
from clawsite.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "save_limit": 0}
