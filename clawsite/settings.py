"""Settings for clawsite, read from the environment (see README, "Configuration").

One block per concern; every variable has a documented default, and none of the
secrets has a default that looks real.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from clawsite.env import env_bool, env_int, env_int_list, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Django core -----------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)
# Without DJANGO_SECRET_KEY only DEBUG runs may start; production must set one.
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ("insecure-dev-only-key" if DEBUG else "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Django's admin with clawsite's site: the start page and plain titles (dashboard/site.py).
    "dashboard.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN)
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "calls",
    "integrations",
    "dashboard",
]

MIDDLEWARE = [
    # /healthz and /metrics, answered whatever the Host header (probes use an IP).
    "clawsite.probes.ProbeMiddleware",
    # Webhooks and VoiceML skip the admin's middleware (clawsite/machine_routes.py).
    "clawsite.machine_routes.MachineRoutesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "clawsite.availability.DatabaseUnavailableMiddleware",
    "clawsite.security.NulInQueryMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clawsite.staff_login.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the login into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clawsite.urls"
WSGI_APPLICATION = "clawsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
# A SQLite file by default, so the app runs on a fresh machine; PostgreSQL (or anything
# dj-database-url understands) from DATABASE_URL.

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'clawsite.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off unless asked; the webhook intake
    # prepares its one statement explicitly (calls/store.py), which needs a threshold.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
    # A stuck database must not hold requests (or /healthz) for as long as it lasts: give up
    # connecting, waiting for a lock, and running a statement after these many seconds; the
    # request is answered 503 (clawsite/availability.py) and ClawOps retries its webhook.
    DATABASES["default"]["OPTIONS"].update(
        connect_timeout=env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5),
        options=(f"-c statement_timeout={env_int('DATABASE_STATEMENT_TIMEOUT_SECONDS', 15)}s"
                 f" -c lock_timeout={env_int('DATABASE_LOCK_TIMEOUT_SECONDS', 5)}s"),
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Time and language: stored in UTC, shown in Korean time ------------------------------

# Staff read Korean first: Korean is the default, English follows the browser's
# Accept-Language. Message ids are English; locale/ holds both catalogues, compiled by
# `make setup`.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times read "2026-11-30 14:05" in both languages (clawsite/formats/).
FORMAT_MODULE_PATH = ["clawsite.formats"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security behind a TLS proxy -------------------------------------------------------

BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Plain http is answered with a redirect to https, except the health check a load
    # balancer may ask over plain http inside the network.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# Neither cookie is for scripts: the admin sends its CSRF token in the form.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp) on every page people open: scripts and styles from
# this site only (the admin has no inline script or style; a page that needs an inline
# script gives it the request's nonce), no framing, forms post only here. The machine
# endpoints answer JSON or VoiceML to ClawOps and the shop, and skip it.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/webhooks/", "/voice/", "/healthz"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        # The call page plays ClawOps' recording from its own signed address (a storage
        # URL that changes per recording, contract §2.3), so media may come from any https
        # origin; scripts, styles and frames stay this site's own.
        "media-src": [SELF, "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Staff login: lockout, second factor, idle sessions, password rules ------------------
# See README, "Security for operators". The backend order matters: axes refuses a locked-out
# login before any password is checked.

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures are counted per account and, separately, per address: either reaching the
# limit locks it for the cool-off time. Every failure and lockout is logged by axes.
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "clawsite.staff_login.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
# Superusers must have a verified authenticator code in their session; other staff may
# set one up (then it is asked at every login).
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = env_str("ADMIN_2FA_ISSUER", "clawsite")
# A staff session ends after this long without a request, and when the browser closes.
SESSION_COOKIE_AGE = env_int("ADMIN_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- REST framework: the webhook views authenticate by signature, not by session --------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- The booking-system API (/api/v1/, integrations/api/) --------------------------------

# Requests one API key may make per minute; more are answered 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120)
SPECTACULAR_SETTINGS = {
    "TITLE": "clawsite API",
    "DESCRIPTION": (
        "Appointments in, calls out: a clinic's booking system pushes appointments (each "
        "gets its reminder SMS and call) and reads its calls. Every request sends "
        "`Authorization: Bearer <key>` (`python manage.py create_api_key \"<clinic>\"`). "
        "Errors are RFC 9457 problem details (`application/problem+json`), in English, or in "
        "Korean with `Accept-Language: ko`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # JSON Schema 2020-12 inside: nullable fields are ["string", "null"], which any JSON
    # Schema validator (and the property-based test) reads as written.
    "OAS_VERSION": "3.1.0",
    "PREPROCESSING_HOOKS": ["integrations.api.schema.only_published"],
}

# --- ClawOps ---------------------------------------------------------------------------
# Each secret may hold several comma-separated values so keys can be rotated without
# downtime; a signature scheme is accepted only when its secret is set.

CLAWOPS_API_KEY = env_str("CLAWOPS_API_KEY")
CLAWOPS_ACCOUNT_ID = env_str("CLAWOPS_ACCOUNT_ID")
CLAWOPS_BASE_URL = env_url("CLAWOPS_BASE_URL", "https://api.claw-ops.com")
CLAWOPS_SIGNING_KEYS = env_list("CLAWOPS_SIGNING_KEY")
CLAWOPS_WEBHOOK_SECRETS = env_list("CLAWOPS_WEBHOOK_SECRET")
# The public URL ClawOps calls (scheme and host, plus any path prefix): X-Signature covers
# the full URL, which behind a TLS proxy is not what the app server sees.
CLAWOPS_PUBLIC_BASE_URL = env_url("CLAWOPS_PUBLIC_BASE_URL", "http://localhost:8000")
CLAWOPS_FROM_NUMBER = env_str("CLAWOPS_FROM_NUMBER")
CLAWOPS_ORDER_AGENT_ID = env_str("CLAWOPS_ORDER_AGENT_ID")
# Answering-machine detection on order confirmation calls; needs ClawOps' AMD add-on.
CLAWOPS_MACHINE_DETECTION = env_bool("CLAWOPS_MACHINE_DETECTION", False)

# Largest webhook body accepted; anything bigger is answered 413 without being read.
WEBHOOK_MAX_BODY_BYTES = 256 * 1024

# --- Task queue (django-q2) ------------------------------------------------------------
# The ORM broker by default (nothing else to run); Redis when REDIS_URL is set. The job
# ledger (integrations/jobs/ledger.py) owns retries, so a queue message is only a wake-up call:
# losing one delays work until the sweeper runs, running one twice finds nothing to claim.

REDIS_URL = env_str("REDIS_URL")
JOB_TIMEOUT_SECONDS = env_int("JOB_TIMEOUT_SECONDS", 60)
# A woken worker claims up to this many due jobs at once and runs them on this many threads
# (their requests wait on the network, not the CPU; each thread holds a database connection).
JOB_BATCH_SIZE = env_int("JOB_BATCH_SIZE", 100)
JOB_THREADS = env_int("JOB_THREADS", 8)
Q_CLUSTER: dict[str, object] = {
    "name": env_str("Q_CLUSTER_NAME", "clawsite"),
    "workers": env_int("Q_WORKERS", 2),
    "timeout": JOB_TIMEOUT_SECONDS,
    # Must exceed timeout, or the ORM broker hands a live task to a second worker.
    "retry": JOB_TIMEOUT_SECONDS + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    # Q_SYNC=true runs tasks inline (tests); read once at import, like the rest.
    "sync": env_bool("Q_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Job ledger: retries and waits (seconds) -------------------------------------------

# Transient failures are retried after each of these delays in turn, then given up.
JOB_RETRY_DELAYS = env_int_list("JOB_RETRY_DELAYS", "30,120,600,1800,3600,7200,14400")
# A transcript or summary still "pending" is asked for again after each of these delays.
ARTIFACT_POLL_DELAYS = env_int_list(
    "ARTIFACT_POLL_DELAYS", "60,120,300,600,1200,1800,3600,3600,7200"
)
# How long the CRM record waits for transcript and summary before going with what exists.
CRM_MAX_WAIT_SECONDS = env_int("CRM_MAX_WAIT_SECONDS", 4 * 3600)
# Missed calls from one number within this window share one Slack alert.
MISSED_CALL_WINDOW_MINUTES = env_int("MISSED_CALL_WINDOW_MINUTES", 30)
# Appointment reminders: a step with less notice than this before the appointment is
# skipped (after downtime, say), and "send earlier" means this long before quiet hours.
REMINDER_MIN_NOTICE_MINUTES = env_int("REMINDER_MIN_NOTICE_MINUTES", 15)
REMINDER_BEFORE_QUIET_MINUTES = env_int("REMINDER_BEFORE_QUIET_MINUTES", 10)
# Timeout of every outbound HTTP request (Slack, CRM, ClawOps API).
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 10)

# --- Integrations: each is off (and says so) until its settings are present --------------

SLACK_WEBHOOK_URL = env_url("SLACK_WEBHOOK_URL")
CRM_API_URL = env_url("CRM_API_URL")
CRM_API_TOKEN = env_str("CRM_API_TOKEN")
# Shop order webhook (S2): X-Order-Signature secret(s), comma-separated for rotation like
# the ClawOps ones; without any, POST /webhooks/orders/ answers 503.
ORDER_WEBHOOK_SECRETS = env_list("ORDER_WEBHOOK_SECRET")
# A confirmation call that did not reach the customer is tried once more after this.
ORDER_RETRY_DELAY_MINUTES = env_int("ORDER_RETRY_DELAY_MINUTES", 30)

# --- Reconciliation with ClawOps, retention of personal data ------------------------------

# How often the schedule compares ClawOps' call and message lists with ours, and how far
# back each run looks (further when the last run is longer ago than that).
RECONCILE_EVERY_MINUTES = env_int("RECONCILE_EVERY_MINUTES", 10)
RECONCILE_WINDOW_HOURS = env_int("RECONCILE_WINDOW_HOURS", 24)
# Raw webhook bodies and headers are cleared after this many days.
DELIVERY_RETENTION_DAYS = env_int("DELIVERY_RETENTION_DAYS", 30)
# Transcripts, summaries, message bodies, patient names of past appointments and raw order
# bodies are removed, and numbers masked, after this many days.
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 365)

# --- Operations: metrics, health, error reporting ------------------------------------------

# Bearer token for GET /metrics; without it /metrics answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# /healthz answers 503 when the worker has not run its sweeper for this long.
WORKER_SILENT_AFTER_SECONDS = env_int("WORKER_SILENT_AFTER_SECONDS", 300)
SENTRY_DSN = env_str("SENTRY_DSN")

# --- Logging: to stderr, never a phone number, a body or a secret --------------------------

LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "clawsite.logs.RedactFilter"}},
    "formatters": {
        "plain": {"()": "clawsite.logs.PlainFormatter"},
        "json": {"()": "clawsite.logs.JsonFormatter"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                            "filters": ["redact"]}},
    "root": {"handlers": ["stderr"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx and httpcore log each request's URL at INFO and below; the Slack URL is a secret.
    "loggers": {name: {"level": "WARNING"} for name in ("httpx", "httpcore")},
}

if SENTRY_DSN:
    from clawsite.error_reporting import start_sentry

    start_sentry(SENTRY_DSN)
