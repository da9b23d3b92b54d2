"""The baseline the intake is measured against: a truly bare Django app.

No apps, no middleware, no database: one view (bench/bare_urls.py) that reads the body and
answers a small JSON. It is served by the same gunicorn, with the same workers, in the same
run as the intake, so the ratio between the two is what the intake costs beyond Django's
own request handling.
"""

import os

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare_urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_I18N = False
USE_TZ = True
