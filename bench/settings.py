"""The app's own settings, plus a bare view to compare the webhook intake with.

Everything else (middleware, database, logging) comes from the environment exactly as in
production, so the baseline pays the same per-request costs as the intake.
"""

from clawsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
