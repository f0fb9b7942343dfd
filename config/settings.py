"""Rassylka settings: every value comes from the environment (or `.env`), each with an
embedded default so that a fresh clone starts without any server.

Production profile: DEBUG off (the default) with SECRET_KEY, ALLOWED_HOSTS and SITE_URL
set; `manage.py check --deploy` is clean with just those.
"""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .beat import celery_beat_schedule
from .log_formats import FORMATTERS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
# `make run` writes a development .env (DEBUG on); real environment variables win over it.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """A key generated once per checkout, so development sessions survive restarts."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()

# `make run PORT=…` passes its port on (scripts/run-dev), so that links in emails
# point at the development server that actually runs.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
SITE_URL = SITE_URL.rstrip("/")
# How account emails and their subjects name the service.
SITE_NAME = env.str("SITE_NAME", default="Rassylka")
# Where people write when a page tells them to ask (a blocked account, a lost email);
# without it those pages say to ask the service's administrator.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    # third party
    "allauth",
    "allauth.account",
    "bootstrap",
    "django_bootstrap5",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # ours
    "accounts",
    "workspace",
    "mailings",
    # Next to mailings, whose catalogue its strings came from: the earlier app's wording wins.
    "content",
    "sending",
    "blog",
    "dashboard",
    "senders",
    "feedback",
    "api",
    "webhooks",
    "audience",
    "tracking",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.body_limits.AnonymousBodyLimitMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the scheduler write at the same time: WAL lets readers
    # proceed during a write, IMMEDIATE avoids lock upgrades that fail instantly.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # libpq waits forever for a host that drops packets: /healthz and every page
        # would hang instead of answering 503 during such an outage.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared by every local process (web, scheduler) through files, or Redis.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="rassylka"))
# The rate limits and locks count on `add` and `incr` being atomic: Django's file and
# database caches are given ones that are (config/cache.py).
CACHES["default"]["BACKEND"] = {
    "django.core.cache.backends.filebased.FileBasedCache": "config.cache.LockedFileBasedCache",
    "django.core.cache.backends.db.DatabaseCache": "config.cache.LockedDatabaseCache",
}.get(CACHES["default"]["BACKEND"], CACHES["default"]["BACKEND"])
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The cache is an optimisation: while Redis is away the site and the scheduler carry
    # on without it (config/cache.py), and a Redis that hangs costs a second, not a worker.
    CACHES["default"]["BACKEND"] = "config.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 1)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 1)

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: email is the login, verified before first use.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Moscow"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Django serves uploads (blog images) itself unless a web server in front does it.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: .eml files in var/outbox/ unless EMAIL_URL names an SMTP server (SPEC §5).
SMTP_TIMEOUT = env.float("SMTP_TIMEOUT", default=10.0)
SEND_RATE = env.float("SEND_RATE", default=50.0)
# Connections each worker keeps busy with the SMTP server (SPEC §6 "Sending at a distance"):
# a relay 20 ms away allows one connection about 15 messages a second.
SMTP_CONNECTIONS = env.int("SMTP_CONNECTIONS", default=10)
# The sending engine (sending/). A temporary failure is retried SEND_MAX_TRIES times with
# a backoff doubling from SEND_RETRY_BACKOFF seconds; SEND_BREAKER_THRESHOLD connection
# failures in a row stop a run for SEND_BREAKER_COOLDOWN seconds (doubling); a refused
# login is re-checked every SEND_PAUSE_RECHECK seconds. SEND_WINDOW messages are marked
# in flight at a time; one left in flight longer than SEND_LEASE seconds (a killed
# worker) becomes `unknown`. Celery tasks carry SEND_BATCH_SIZE deliveries each; a batch
# is leased to its task for SEND_BATCH_LEASE seconds, renewed while the task sends, so a
# batch the broker lost is handed out again within about that long.
SEND_MAX_TRIES = env.int("SEND_MAX_TRIES", default=5)
SEND_RETRY_BACKOFF = env.float("SEND_RETRY_BACKOFF", default=60.0)
SEND_RETRY_BACKOFF_MAX = env.float("SEND_RETRY_BACKOFF_MAX", default=3600.0)
SEND_BREAKER_THRESHOLD = env.int("SEND_BREAKER_THRESHOLD", default=3)
SEND_BREAKER_COOLDOWN = env.float("SEND_BREAKER_COOLDOWN", default=60.0)
SEND_PAUSE_RECHECK = env.float("SEND_PAUSE_RECHECK", default=600.0)
SEND_WINDOW = env.int("SEND_WINDOW", default=10)
SEND_LEASE = env.float("SEND_LEASE", default=900.0)
SEND_BATCH_SIZE = env.int("SEND_BATCH_SIZE", default=200)
SEND_BATCH_LEASE = env.float("SEND_BATCH_LEASE", default=30.0)
# Users' own relays (senders.Relay) may not be on this machine or a private network
# unless this is on (a self-hosted platform whose users share its network).
RELAY_ALLOW_PRIVATE = env.bool("RELAY_ALLOW_PRIVATE", default=False)
# A private CA to trust for smtp+tls:// and smtp+ssl:// (a self-hosted relay).
EMAIL_SSL_CAFILE = env.str("EMAIL_SSL_CAFILE", default="")
EMAIL_OUTBOX_DIR = VAR_DIR / "outbox"
# Parsed by the sender, not here: a mistyped EMAIL_URL pauses sending and says why on
# the site instead of keeping the site from starting.
EMAIL_URL = env.str("EMAIL_URL", default="")
# Account emails wait in the database for the sender, which delivers them through
# EMAIL_URL or to the outbox folder; a web request never talks to SMTP.
EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rassylka <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Senders and domains (senders/). Secrets at rest (DKIM keys) are encrypted with
# FIELD_ENCRYPTION_KEY: a comma-separated list, the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[]) or [SECRET_KEY]
# VERP return paths bounce+<token>@BOUNCE_DOMAIN (empty: the sender's address).
BOUNCE_DOMAIN = env.str("BOUNCE_DOMAIN", default="")
# The resolver for domain checks as host:port (empty: the system's).
DNS_RESOLVER = env.str("DNS_RESOLVER", default="")
DNS_TIMEOUT = env.float("DNS_TIMEOUT", default=5.0)
# What a user's SPF record should include so that our relay may send for their domain.
SPF_INCLUDE = env.str("SPF_INCLUDE", default="") or (
    BOUNCE_DOMAIN or urlsplit(SITE_URL).hostname or "localhost"
)
# Bounces and complaints (feedback/). A hard bounce suppresses its client at once; soft
# bounces (temporary failures that ran out of tries) after BOUNCE_SOFT_LIMIT of them
# within BOUNCE_SOFT_WINDOW_DAYS (older ones no longer count).
BOUNCE_SOFT_LIMIT = env.int("BOUNCE_SOFT_LIMIT", default=3)
BOUNCE_SOFT_WINDOW_DAYS = env.int("BOUNCE_SOFT_WINDOW_DAYS", default=14)
# The mailbox the bounces arrive in: imaps://user:pass@host:port/INBOX, imap://…, pop3s://…
# (empty: none; reports come through process_bounce or webhooks).
BOUNCE_MAILBOX_URL = env.str("BOUNCE_MAILBOX_URL", default="")
# A run pauses itself (its owner resumes it) once, after BOUNCE_PAUSE_MIN_SENT messages
# were handed over, its hard bounces pass BOUNCE_PAUSE_HARD_RATE of them or its
# complaints BOUNCE_PAUSE_COMPLAINT_RATE (Google's limit for complaints is 0.3%).
BOUNCE_PAUSE_MIN_SENT = env.int("BOUNCE_PAUSE_MIN_SENT", default=100)
BOUNCE_PAUSE_HARD_RATE = env.float("BOUNCE_PAUSE_HARD_RATE", default=0.05)
BOUNCE_PAUSE_COMPLAINT_RATE = env.float("BOUNCE_PAUSE_COMPLAINT_RATE", default=0.003)
BOUNCE_MAILBOX_TIMEOUT = env.float("BOUNCE_MAILBOX_TIMEOUT", default=30.0)
# A report larger than this is not a DSN or ARF report of ours: ignored, never parsed.
BOUNCE_MAX_BYTES = env.int("BOUNCE_MAX_BYTES", default=2_000_000)
# ESP tracking webhooks (/webhooks/esp/<esp>/, django-anymail): the basic-auth
# "user:password" the provider is given in the webhook URL, and the signing keys of the
# providers that sign (anymail also reads ANYMAIL_<ESP>_… settings of its own).
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
        "POSTAL_WEBHOOK_KEY": env.str("POSTAL_WEBHOOK_KEY", default=""),
        "MANDRILL_WEBHOOK_KEY": env.str("MANDRILL_WEBHOOK_KEY", default=""),
        "RESEND_SIGNING_SECRET": env.str("RESEND_SIGNING_SECRET", default=""),
        "MAILERSEND_WEBHOOK_SIGNING_SECRET": env.str(
            "MAILERSEND_WEBHOOK_SIGNING_SECRET", default=""
        ),
    }.items()
    if value
}
# The service part of Feedback-ID (mailing:user:service).
FEEDBACK_ID_SERVICE = env.str("FEEDBACK_ID_SERVICE", default="rassylka")

# Public subscription forms (audience/). A confirmation link works for
# SUBSCRIBE_CONFIRM_DAYS; a second sign-up of an address still waiting within
# SUBSCRIBE_RESEND_WINDOW seconds sends no second email. Per SUBSCRIBE_LIMIT_WINDOW
# seconds one visitor's address may post the forms SUBSCRIBE_IP_LIMIT times and one email
# be signed up SUBSCRIBE_ADDRESS_LIMIT times (beyond: 429). SUBSCRIBE_CAPTCHA makes every
# form ask for ALTCHA's proof of work (a list can ask on its own); SUBSCRIBE_CAPTCHA_COST
# is its PBKDF2 iterations per try (about 256 tries: well under a second in a browser).
# A sign-up not confirmed in SUBSCRIBE_PENDING_DAYS is dropped (audience/cleanup.py): the
# waiting client with nothing else to it is deleted, a waiting membership ends.
# Account emails (confirmations, password resets) sent or given up are deleted after
# QUEUED_EMAIL_KEEP_DAYS (once an hour, a periodic job of config/beat.py).
QUEUED_EMAIL_KEEP_DAYS = env.int("QUEUED_EMAIL_KEEP_DAYS", default=7)
SUBSCRIBE_CONFIRM_DAYS = env.int("SUBSCRIBE_CONFIRM_DAYS", default=3)
SUBSCRIBE_PENDING_DAYS = env.int("SUBSCRIBE_PENDING_DAYS", default=30)
SUBSCRIBE_RESEND_WINDOW = env.int("SUBSCRIBE_RESEND_WINDOW", default=15 * 60)
SUBSCRIBE_LIMIT_WINDOW = env.int("SUBSCRIBE_LIMIT_WINDOW", default=3600)
SUBSCRIBE_IP_LIMIT = env.int("SUBSCRIBE_IP_LIMIT", default=30)
SUBSCRIBE_ADDRESS_LIMIT = env.int("SUBSCRIBE_ADDRESS_LIMIT", default=5)
# A sender's confirmation email goes to an address nobody has proved yet: at most this
# many to one mailbox (sub-addresses folded), and from one account, per window (seconds).
SENDER_CONFIRM_WINDOW = env.int("SENDER_CONFIRM_WINDOW", default=3600)
SENDER_CONFIRM_ADDRESS_LIMIT = env.int("SENDER_CONFIRM_ADDRESS_LIMIT", default=5)
SENDER_CONFIRM_ACCOUNT_LIMIT = env.int("SENDER_CONFIRM_ACCOUNT_LIMIT", default=20)
SUBSCRIBE_CAPTCHA = env.bool("SUBSCRIBE_CAPTCHA", default=False)
SUBSCRIBE_CAPTCHA_COST = env.int("SUBSCRIBE_CAPTCHA_COST", default=5000)

# Celery: unset broker means the embedded scheduler (run_scheduler) does the sending.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# A task is acknowledged once it has run (acks_late), and given back if its worker dies
# (reject_on_worker_lost): a worker killed mid-batch does not lose the batch. The broker
# redelivers an unacknowledged task only after visibility_timeout (Redis), so that is
# kept far above the longest batch: a task still running is never run twice at once.
# What a broker loses outright (a restart without persistence) the database lease
# (SEND_BATCH_LEASE) brings back: beat hands out again the rows nobody renewed.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Exactly one beat: it scans for due runs and unsent batches every few seconds, and
# sends the other periodic jobs' tasks (config/beat.py, the table of them).
CELERY_BEAT_SCHEDULE = celery_beat_schedule()

# The REST API (/api/v1/, api/): personal Bearer tokens, JSON only, problem details for
# errors. API_RATE: requests per token (per address without one); API_MAX_BODY_BYTES:
# the largest JSON body taken (10,000 clients in one bulk call fit).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
# The largest body a visitor who is not signed in may send to a page (the public forms,
# sign-in and sign-up): 413 beyond (config/body_limits.py).
ANONYMOUS_MAX_BODY_BYTES = env.int("ANONYMOUS_MAX_BODY_BYTES", default=64 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.WorkspaceAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["api.limits.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_RATE", default="1200/min")},
    "DEFAULT_PARSER_CLASSES": ["api.limits.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rassylka API",
    "DESCRIPTION": "Clients, messages, mailings and their runs. "
    "Authenticate with `Authorization: Bearer <token>` (tokens at /accounts/api-tokens/).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from our own static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "MailingStatusEnum": "mailings.models.Mailing.Status",
        "AttemptStatusEnum": "sending.models.Attempt.Status",
        "DeliveryStatusEnum": "sending.models.Delivery.Status",
    },
}

# Webhooks (webhooks/): sent on each scheduler beat. Requests to private, loopback and
# link-local addresses are refused unless WEBHOOK_ALLOW_PRIVATE is set (tests, intranets).
# A click or open this soon after the delivery is a scanner's, not a person's.
TRACKING_MACHINE_SECONDS = env.float("TRACKING_MACHINE_SECONDS", default=5.0)
# The same hit again within this many seconds is not written again (reloads, floods).
TRACKING_REPLAY_SECONDS = env.int("TRACKING_REPLAY_SECONDS", default=2)
# Hits wait in the web process this long and are written together (tracking/intake.py);
# 0 writes each in its request.
TRACKING_FLUSH_MS = env.int("TRACKING_FLUSH_MS", default=100)

WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)

# Security. Off by default only where DEBUG (local HTTP development) needs it.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Scripts only from our own static files (or carrying the per-request nonce). Inline
# style attributes stay allowed: Bootstrap and inline SVG charts use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Error pages (DEBUG) and error reports mask every URL's password (config/redaction.py).
DEFAULT_EXCEPTION_REPORTER = "config.redaction.MaskedExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.redaction.SettingsCleanser"
# /healthz tells anyone only ok or degraded per part; staff, and a request with
# `Authorization: Bearer <HEALTHZ_TOKEN>` (a monitor), get the details (empty: no token).
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The login and sign-up rate limits count per client address. Behind the proxy every
# connection comes from the proxy, so the address is the entry the proxies appended to
# X-Forwarded-For (the last of TRUSTED_PROXY_COUNT); anything to its left is written by
# the client and ignored. gunicorn binds 127.0.0.1 so that only the proxy reaches it.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": FORMATTERS,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": env.str("LOG_FORMAT", default="line"),
            "filters": ["mask_url_passwords"],
        }
    },
    "filters": {"mask_url_passwords": {"()": "config.redaction.MaskUrlPasswords"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a second, unmasked copy on stderr under DEBUG) give way
        # to the root's.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"level": "WARNING"},
    },
}
