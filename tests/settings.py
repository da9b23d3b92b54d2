"""Settings for the test suite: the app's own, with known secrets and a fixed public URL.

The database comes from DATABASE_URL like in production (the suite is meant to run on
PostgreSQL; `make test` points it there).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from clawsite.settings import *  # noqa: E402,F403
from clawsite.settings import MIDDLEWARE, Q_CLUSTER  # noqa: E402  (named: they are extended below)

CLAWOPS_SIGNING_KEYS = ["sk_sign_old", "sk_sign_test"]
CLAWOPS_WEBHOOK_SECRETS = ["whsec_test"]
CLAWOPS_PUBLIC_BASE_URL = "https://clinic.example.com"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tasks run inline when enqueued (the end-to-end tests start a real worker instead).
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
SLACK_WEBHOOK_URL = "https://hooks.slack.test/services/T000/B000/XXXX"
CRM_API_URL = "https://crm.test/api"
CRM_API_TOKEN = "crm-test-token"
CLAWOPS_API_KEY = "sk_test_key"
CLAWOPS_ACCOUNT_ID = "AC_test"
CLAWOPS_BASE_URL = "https://api.clawops.test"
JOB_RETRY_DELAYS = [30, 120, 600]
ARTIFACT_POLL_DELAYS = [60, 120, 300]
CRM_MAX_WAIT_SECONDS = 3600
# Static files are not collected for tests; whitenoise would warn on every request.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]
# Many tests move the clock by hours with one logged-in client; the idle expiry
# (clawsite.settings: 30 minutes) has its own test, which sets it back.
SESSION_COOKIE_AGE = 14 * 24 * 3600
