"""Settings for the test suite: the app's own, with known secrets and a fixed public URL.

The database comes from DATABASE_URL like in production (the suite is meant to run on
PostgreSQL; `make test` points it there).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from clawsite.settings import *  # noqa: E402,F403

CLAWOPS_SIGNING_KEYS = ["sk_sign_old", "sk_sign_test"]
CLAWOPS_WEBHOOK_SECRETS = ["whsec_test"]
CLAWOPS_PUBLIC_BASE_URL = "https://clinic.example.com"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
