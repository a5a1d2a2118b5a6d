"""Kachi settings: one module, driven by environment variables.

Development defaults (no environment at all) are convenient: SQLite, the
filesystem Celery broker, e-mail to the console. Production (DEBUG off)
refuses to start without a real SECRET_KEY and is safe by default.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# numpy asks the kernel for huge pages for every array of 4 MB or more; where transparent huge pages
# are "madvise" (a common default) each such allocation may stall on memory compaction: Kaplan-Meier
# over 1,000,000 journeys took 0.88 s with them and 0.15 s without. Read when numpy is first
# imported, which every entry point does after these settings; an operator can still set it to 1.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "django-insecure-kachi-development-key-not-for-production-use"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off. "
        "For local development set DEBUG=1 (make run does)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "portal.apps.ScheduledTasksConfig",
    "portal.apps.SignInLockoutConfig",
    "csp",
    "portal",
    "journeys",
    "faq",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view that cannot reach the database or the broker answers 503, not 500.
    "portal.middleware.OutageMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # An API POST sent again with its Idempotency-Key gets the first answer back.
    "portal.api.idempotency.IdempotencyMiddleware",
    "portal.middleware.UserPreferencesMiddleware",
    # Reports and CSV downloads read from the replica, when there is one (after the user is loaded).
    "portal.db_router.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Must stay last: it turns a lockout raised by the auth backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kachi.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A dead pooled connection is noticed before use, so a database restart costs
# at most one failed request per worker.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The test database is cloned from template0 in UTF-8; its ctype comes from
    # the cluster (C.UTF-8), which Japanese trigram search needs.
    DATABASES["default"].setdefault("TEST", {}).update({"TEMPLATE": "template0", "CHARSET": "UTF8"})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Optional: a PostgreSQL streaming replica of DATABASE_URL. Reports and CSV exports read from it
# (portal/db_router.py); every other read, and every write, stays on the primary. In tests it is a
# mirror of the test database.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_READ_REPLICA = "replica" if "replica" in DATABASES else None
DATABASE_ROUTERS = ["portal.db_router.ReplicaRouter"]
# The views whose GETs read from the replica (by module; CSV downloads, ?format=csv, do too).
REPLICA_READ_VIEWS = ("journeys.reports.views", "journeys.reports.api", "support.report_views")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
# Shared by every web process and worker: Redis when REDIS_URL (or CACHE_URL) names one, else a
# folder under var/ (the processes of `make run` see each other's entries and invalidations).
# A Redis that is down or slow answers as an empty cache within half a second (django-redis's
# IGNORE_EXCEPTIONS, logged): sessions are then read from the database, and nothing fails.
CACHE_URL = env.str("CACHE_URL", default=env.str("REDIS_URL", default=""))
REDIS_CACHE_OPTIONS = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHE = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": CACHE_URL, "OPTIONS": REDIS_CACHE_OPTIONS}
else:
    CACHE = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
CACHES = {"default": {**CACHE, "KEY_PREFIX": "kachi"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# A signed-in request reads its session from the cache; the database keeps it across restarts.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.auth_backends.AccountModelBackend",
    # Sessions signed in before the backend above took over still name this one.
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

# Brute-force protection: 5 failures against one login, from any addresses, pause
# that login for 15 minutes; a success resets its count.
#
# The count is per login alone. Per login and address would let an attacker with
# many addresses (a botnet, rotating proxies) walk around the limit, 5 guesses per
# address; per address would let one attacker pause everyone behind the same
# address (an office NAT, a mobile carrier) and let spoofed addresses pause others.
# Per login, ten thousand wrong passwords pause the login they target and no
# other, and never the attacker's address for anyone else. The price is that an
# attacker who keeps failing can keep one known login paused; staff can lift the
# pause in the admin (Access attempts). A few guesses at each of many logins from
# one address are left to rate limiting at the proxy.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns when no parameter holds the address: it guards against counting by
# user agent or cookie alone, which a client rotates; it cannot rotate the login
# it attacks.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.lockout"
AXES_USERNAME_FORM_FIELD = "username"
# Every spelling of an address that signs in as a user counts against that user.
AXES_USERNAME_CALLABLE = "portal.lockout.lockout_username"
# The client address recorded with each failure (shown in the admin). PROXY_COUNT
# is the number of proxies in front of the app that each append to
# X-Forwarded-For; 0 reads REMOTE_ADDR only. With a count set, the app must be
# reachable only through those proxies, or a client could name its own address.
# Without this callable axes would read REMOTE_ADDR whatever the count (it uses
# django-ipware only when installed, and that is no dependency of Kachi).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "portal.lockout.lockout_client_ip"
AXES_VERBOSE = False

# --- Internationalisation ------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
LANGUAGE_COOKIE_NAME = "kachi_language"
LANGUAGE_COOKIE_SAMESITE: Literal["Lax", "Strict", "None", False] | None = "Lax"

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
if DEBUG:
    # whitenoise looks here even when runserver serves the files; an absent folder only makes it warn.
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Help centre uploads: videos are MP4 only, images PNG/JPEG/GIF/WebP, both checked by their bytes.
FAQ_VIDEO_MAX_BYTES = env.int("FAQ_VIDEO_MAX_MB", default=50) * 1024 * 1024
FAQ_IMAGE_MAX_BYTES = env.int("FAQ_IMAGE_MAX_MB", default=5) * 1024 * 1024
# How many articles one anonymous session may rate (one answer per article, changeable).
FAQ_ANONYMOUS_VOTES_PER_SESSION = env.int("FAQ_ANONYMOUS_VOTES_PER_SESSION", default=20)
# Where a help-centre search that finds nothing sends people to ask.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@kachi.example")
STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Files customers attach to inquiries: private, served only through the desk's access checks
    # (never under MEDIA_URL, which a web server or CDN may serve to anyone).
    "support": {
        "BACKEND": env.str("SUPPORT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": env.str("SUPPORT_FILES_ROOT", default=str(VAR_DIR / "private" / "support"))},
    },
}
# Attachments of one inquiry message: how many, and how large each.
SUPPORT_ATTACHMENTS_PER_MESSAGE = env.int("SUPPORT_ATTACHMENTS_PER_MESSAGE", default=5)
SUPPORT_ATTACHMENT_MAX_BYTES = env.int("SUPPORT_ATTACHMENT_MAX_MB", default=10) * 1024 * 1024

# --- E-mail ---------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kachi <no-reply@kachi.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------
# Webhooks go only to public addresses; on, they may go to loopback and private ones too (a receiver
# on this machine, in tests and development). Never on in production: it opens the internal network.
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_FOLDER = Path(env.str("BROKER_FOLDER", default=str(VAR_DIR / "broker")))
# Redis (or any broker but the filesystem).
BROKER_NETWORK_OPTIONS: dict[str, Any] = {
    # A message taken by a worker that died is delivered again after this long: longer than any
    # task runs (CELERY_TASK_TIME_LIMIT), or a running task would be delivered twice.
    "visibility_timeout": 60 * 60,
    # A connection the broker dropped (a restart) is noticed within seconds, not at the next write.
    "socket_keepalive": True,
    "health_check_interval": 10,
    "retry_on_timeout": True,
    # Publishing tries once more at once, then gives up: a request never waits for a broker that
    # is down (the outbox publishes its tasks later). Workers and beat keep reconnecting (below).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any]
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "control"):
        (BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = BROKER_NETWORK_OPTIONS
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Workers and beat wait for a broker that is away (a restart, a failover) however long it takes,
# from the start and after losing it, and resume by themselves.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task still running when the connection is lost is left to finish, not stopped: each records what
# it did in the database right after doing it, so the copy delivered again finds it done, where one
# stopped between sending an e-mail and recording it would send it twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Usage events ---------------------------------------------------------
# Raw events are kept this long; rules evaluate on daily counts, which stay.
USAGE_EVENT_RETENTION_DAYS = env.int("USAGE_EVENT_RETENTION_DAYS", default=400)
USAGE_EVENT_BATCH_MAX = 1000
# A full batch of 1,000 events with properties of up to 8 KB each fits in a request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# What a 503 (the database or the broker unreachable) asks callers to wait before retrying.
OUTAGE_RETRY_AFTER_SECONDS = env.int("OUTAGE_RETRY_AFTER_SECONDS", default=2)

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The session first: its scheme is the one a 401 names (a token is tried when there is no session).
        "portal.api.authentication.SessionAuthentication",
        "portal.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.TokenScopes", "rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.KachiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kachi API",
    "DESCRIPTION": "Time to Value: accounts, onboarding journeys, usage events and TTV reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name with another app's get a name of their own.
    "ENUM_NAME_OVERRIDES": {
        "InquiryStatusEnum": "support.models.Inquiry.Status",
        "MessageKindEnum": "support.models.Message.Kind",
        "ArticleKindEnum": "faq.models.Article.Kind",
        "AccountStatusEnum": "portal.models.Account.Status",
        "MembershipRoleEnum": "portal.models.Membership.Role",
        "AccountImportStatusEnum": "portal.models.AccountImport.Status",
        "AccountImportKindEnum": "portal.models.AccountImport.Kind",
    },
}

# --- Security -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Inline SVG charts carry the page's nonce on their <style>.
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

if DEBUG and {"runserver", "worker", "beat"} & set(sys.argv) and env.bool("KACHI_ANNOUNCE_DEFAULTS", default=True):
    _defaults = [
        name for name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL") if name not in env.ENVIRON
    ]
    if _defaults:
        print(
            "Kachi: development mode (DEBUG on); using development defaults for "
            + ", ".join(_defaults)
            + ". Never run like this in production.",
            file=sys.stderr,
        )
