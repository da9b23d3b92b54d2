"""The floor: the bare app plus the one thing no webhook intake can skip, a committed write.

Like bench/bare_settings.py (no apps, no middleware) with the benchmark's database: its one
view (bench/floor_urls.py) checks the X-Signature as the intake does and stores the raw body
with one INSERT, committed before it answers. Served by the same gunicorn in the same run,
it shows what a durable acknowledgement costs on this machine by itself, so the intake's
ratio can be read against the best any intake could reach here.
"""

import os

import dj_database_url

from bench.bare_settings import *  # noqa: F403 — the bare app, with what follows added

ROOT_URLCONF = "bench.floor_urls"
DATABASES = {"default": dj_database_url.parse(
    os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")))}
# The intake's signed URLs name the app's address, which is where the bodies were signed for.
SIGNED_BASE_URL = os.environ["CLAWOPS_PUBLIC_BASE_URL"]
SIGNING_KEY = os.environ["CLAWOPS_SIGNING_KEY"]
