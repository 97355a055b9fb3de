"""ChangePortal settings: one file, configured from the environment (see README, "Configuration")."""

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from changeportal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A stable per-checkout key so dev sessions survive runserver reloads; never used in production.
    key_file = BASE_DIR / ".dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "apps.platform",
    "apps.audit",
    "apps.accounts",
    "apps.inventory",
    "apps.changes",
    "apps.schedule",
    "apps.approvals",
    "apps.incidents",
    "apps.events",
    "apps.ingest",
    "apps.webhooks",
    "apps.chat",
    "apps.notifications",
    "apps.metrics",
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so the 413 and 400 pages of the middleware below get the policy header too.
    "apps.platform.security.ContentSecurityPolicyMiddleware",
    "apps.platform.security.RequestSizeLimitMiddleware",
    "apps.platform.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.accounts.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "changeportal.urls"
WSGI_APPLICATION = "changeportal.wsgi.application"

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
                "apps.platform.context_processors.portal",
                "apps.approvals.context_processors.approvals",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions keep the embedded default usable by a dev server plus an in-process task.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# PostgreSQL's JIT compiles any query its planner costs high, and the metrics' GROUP BYs over 90 days of changes
# cost high: at 1M changes the report spent 1.0 of its 1.2 s compiling (docs/benchmarks.md). Our queries are short,
# so JIT stays off for the app's connections (POSTGRES_JIT=true turns it back on).
POSTGRES_JIT = env_bool("POSTGRES_JIT", False)


def _postgres_options(database: dict) -> None:
    if database["ENGINE"] == "django.db.backends.postgresql" and not POSTGRES_JIT:
        database.setdefault("OPTIONS", {})["options"] = "-c jit=off"


_postgres_options(DATABASES["default"])
# A read replica for the GET-only API and the feeds (apps/platform/replica.py); the test run mirrors it to default.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    _postgres_options(DATABASES["replica"])
    DATABASE_ROUTERS = ["apps.platform.replica.ReplicaRouter"]
    MIDDLEWARE.append("apps.platform.replica.ReplicaReadsMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Fails soft (misses and no-ops, logged) so that a Redis outage never turns a request into a 500.
    CACHES = {"default": {"BACKEND": "apps.platform.cache.FailSoftRedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    # No broker configured: run tasks in-process so the embedded default needs no other service.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
# Nothing reads task results (state lives in the database). Ignoring them also keeps a publish during a Redis
# outage from waiting ~20 s on the result backend's reconnect loop before enqueue_safely() can give up.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish gives up after one quick retry while Redis is down (enqueue_safely then leaves the work to the
# outbox drain) instead of holding the web request for seconds. Workers reconnect on their own schedule.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "drain-outbox": {"task": "apps.events.tasks.drain_outbox", "schedule": 30.0},
    "retry-webhooks": {"task": "apps.webhooks.tasks.retry_webhook_deliveries", "schedule": 30.0},
    "retry-chat": {"task": "apps.chat.tasks.retry_chat_deliveries", "schedule": 30.0},
    "chat-digests": {"task": "apps.chat.tasks.post_daily_digests", "schedule": 15 * 60.0},
    "remind-approvers": {"task": "apps.approvals.tasks.remind_approvers", "schedule": 15 * 60.0},
    "flag-overdue-emergencies": {"task": "apps.approvals.tasks.flag_overdue_emergencies", "schedule": 5 * 60.0},
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3

# --- Auth ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# ModelBackend whose per-request user lookup is cached and dropped on every user save (apps/accounts/user_cache.py).
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.CachedUserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Login throttling (apps/accounts/login_throttle.py) ----------------------------------
# Failed logins allowed per username, and per client address, in each window; further attempts get a 429
# without their password being checked. The address limit is higher because an office may share one NAT address.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 20)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# How many reverse proxies append to X-Forwarded-For in front of the app: the client address is the entry
# that many places from the right. 0 trusts no header and uses the socket address: the default, because a
# client talking to gunicorn directly could otherwise pick its own address and dodge the per-address limits.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- HTTPS, cookies and browser protections (docs/security.md) ---------------------------
# Production-safe when DEBUG is off; over plain http in development (make run, the test client) they would
# lock the browser out, so DEBUG turns them off. Each can still be set explicitly.
# The TLS-terminating proxy tells us the original scheme; it must overwrite any X-Forwarded-Proto it receives.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", True) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load-balancer and container health checks probe over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = env_str("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: htmx sends the token from the hx-headers attribute on <body>.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# apps/platform/security.py sends this on every HTML response. No 'unsafe-inline'/'unsafe-eval': behaviour lives in
# static/js, styles in static/css; the Swagger UI page's one inline script carries a per-request nonce.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Report-only sends Content-Security-Policy-Report-Only instead (to try a policy change without enforcing it).
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
CSP_REPORT_URI = env_str("CSP_REPORT_URI")

# --- Time ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email -----------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ChangePortal <changeportal@localhost>")

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes unauthenticated requests 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.accounts.api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_RATE_TOKEN", "1200/min"),
        "user": env_str("API_RATE_USER", "1200/min"),
        "anon": env_str("API_RATE_ANON", "60/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only: any other Content-Type answers 415 (and a schema with one body type per operation).
    "DEFAULT_PARSER_CLASSES": ["apps.platform.api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.platform.api.pagination.BoundedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.platform.api.exceptions.json_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ChangePortal API",
    "DESCRIPTION": "Changes, hosts, approvals and incident suspects.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The default validator badge loads an image from validator.swagger.io: outside the CSP, and a leak.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ChangeKindEnum": "apps.changes.choices.ChangeKind",
        "ChangeStatusEnum": "apps.changes.choices.ChangeStatus",
        "HostExecutionStateEnum": "apps.changes.choices.HostExecutionState",
        "LinkKindEnum": "apps.changes.choices.LinkKind",
        "TeamKindEnum": "apps.accounts.choices.TeamKind",
        "IncidentStatusEnum": "apps.incidents.choices.IncidentStatus",
        "ChangeEventStatusEnum": "apps.ingest.api.serializers.STATUSES",
        "FreezeStateEnum": "apps.changes.api.freeze.FREEZE_STATES",
    },
}

# --- Domain ------------------------------------------------------------------
# The longest window a change may span. Bounding it lets the host/time index bound its scans
# (see ../shared/PERF-NOTES.md); longer efforts are recorded as several changes.
MAX_CHANGE_DURATION_HOURS = env_int("MAX_CHANGE_DURATION_HOURS", 14 * 24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In-process (eager) tasks would log every run into the dev server's console.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}
# Outbound webhooks: per-attempt timeouts (seconds) and attempts before a delivery is given up.
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 3)
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 5)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
# Retry clocks (docs/operations.md): the outbox drain skips younger undispatched events; a webhook's first
# retry waits this long (doubling after); a claimed attempt's lease is both timeouts plus this margin.
OUTBOX_DRAIN_GRACE_SECONDS = env_int("OUTBOX_DRAIN_GRACE_SECONDS", 20)
WEBHOOK_FIRST_RETRY_SECONDS = env_int("WEBHOOK_FIRST_RETRY_SECONDS", 30)
WEBHOOK_LEASE_MARGIN_SECONDS = env_int("WEBHOOK_LEASE_MARGIN_SECONDS", 30)
# Webhook and chat URLs may not point at loopback, private, link-local or CGNAT addresses unless this is on (a
# self-hosted Mattermost on the internal network); cloud metadata addresses are refused always
# (apps/platform/outbound.py).
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", False)
# Chat channels (apps/chat): a channel is marked failing, and its owner emailed once, after this many failed
# attempts in a row. Slack interactivity (approve/reject buttons) needs the app's signing secret; the reject note's
# modal needs a bot token (views.open), sent to SLACK_API_URL.
CHAT_UNHEALTHY_AFTER = env_int("CHAT_UNHEALTHY_AFTER", 5)
SLACK_SIGNING_SECRET = env_str("SLACK_SIGNING_SECRET")
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN")
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api")
# A pipeline's execution report is flagged when it ran further than this outside the change's planned window.
EXECUTION_WINDOW_BUFFER_MINUTES = env_int("EXECUTION_WINDOW_BUFFER_MINUTES", 30)
# PagerDuty change events carry no dedup key: the same body with the same key within this window is a retry.
PAGERDUTY_DEDUP_WINDOW_SECONDS = env_int("PAGERDUTY_DEDUP_WINDOW_SECONDS", 300)
# Events per minute per integration key on /v2/change/enqueue (PagerDuty's own limit is 120).
PAGERDUTY_RATE_PER_MINUTE = env_int("PAGERDUTY_RATE_PER_MINUTE", 120)
# Collision warnings treat changes this close together as overlapping (either side of the planned window).
COLLISION_BUFFER_MINUTES = env_int("COLLISION_BUFFER_MINUTES", 60)
# Emergency changes may start before approval; the approval must follow within this many hours.
EMERGENCY_APPROVAL_HOURS = env_int("EMERGENCY_APPROVAL_HOURS", 24)
# Approvers are reminded of changes starting within this many hours that still await their decision.
APPROVAL_REMINDER_HOURS = env_int("APPROVAL_REMINDER_HOURS", 24)
# The covering index on change↔host rows is a PostgreSQL feature; on the SQLite default it is a plain index.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# A change may target thousands of hosts, each posted as one field by the host picker.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 20000)
# Largest request body accepted (bytes). apps/platform/security.py refuses a larger declared Content-Length with
# a 413 before anything reads the body; Django enforces the same bound when it parses forms.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
