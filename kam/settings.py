"""Settings, driven by the environment.

KAM_ENV=development (default) | production.  Production has no default secrets: it refuses to boot
without DJANGO_SECRET_KEY, DATABASE_URL, REDIS_URL, EMAIL_URL and DJANGO_ALLOWED_HOSTS.
Without DATABASE_URL / REDIS_URL (development, demo, tests) the embedded servers from
``kam.devstack`` are used.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kam import devstack

BASE_DIR = Path(__file__).resolve().parent.parent
KAM_ENV = os.environ.get("KAM_ENV", "development")
PRODUCTION = KAM_ENV == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when KAM_ENV=production")
    return value


if PRODUCTION:
    SECRET_KEY = env_required("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters")
    DEBUG = False
    ALLOWED_HOSTS = [h.strip() for h in env_required("DJANGO_ALLOWED_HOSTS").split(",")]
    env_required("DATABASE_URL")
    env_required("REDIS_URL")
    # Notifications are part of the product: without a mail server every email would be lost
    # without a word, so production does not start without one (kam.notify).
    env_required("EMAIL_URL")
else:
    SECRET_KEY = os.environ.get(
        "DJANGO_SECRET_KEY", "insecure-development-key-only-for-the-embedded-demo-stack-0123456789"
    )
    # Off unless asked for (DJANGO_DEBUG=true): `make demo` and a plain runserver show the
    # product's own 404 / 500 pages, not Django's debug page listing every URL.
    DEBUG = env_bool("DJANGO_DEBUG", False)
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "kam.admin_site.KamAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "pgtrigger",
    "pghistory",
    "kam",
    "accounts",
    "visits",
    "care",
    "satisfaction",
    "risk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kam.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.middleware.TenantMiddleware",
    "kam.audit.AuditContextMiddleware",  # the actor of every audited change (after the tenant)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

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
                "kam.context_processors.tenancy",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------------

# Two roles (issue 4): the application connects as DATABASE_URL's role, which owns no table, is
# not superuser and has no BYPASSRLS; migrations (and test-database set-up) run as the owner role
# of DATABASE_OWNER_URL (same server and database, other credentials). kam.db refuses to run when
# the application role could bypass row-level security, unless KAM_ALLOW_RLS_BYPASS=1 (development
# only; ignored in production).
# Django's settings plus kam.db's own keys (OWNER_USER, OWNER_PASSWORD, APP_USER).
DATABASES: dict[str, dict[str, Any]]
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": cast(dict[str, Any],
                                 dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60))}
    _owner = dj_database_url.parse(os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"])
    DATABASES["default"]["OWNER_USER"] = _owner["USER"]
    DATABASES["default"]["OWNER_PASSWORD"] = _owner.get("PASSWORD", "")
else:
    DATABASES = {
        "default": {
            "NAME": devstack.DB_NAME,
            "USER": devstack.APP_ROLE,
            "OWNER_USER": devstack.OWNER_ROLE,
            "HOST": str(devstack.pg_socket_dir()),
            "CONN_MAX_AGE": 60,
        }
    }
DATABASES["default"]["ENGINE"] = "kam.db"
DATABASES["default"]["APP_USER"] = DATABASES["default"]["USER"]
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No ATOMIC_REQUESTS: kam.db sends the tenant's set_config with every statement, inside whatever
# transaction that statement runs in (a service's atomic() block, or the statement's own), which is
# at least as strict as once per request. Services open their own transactions where writes go
# together.
# Limits on every session of the application role, one set per kind of process (kam.db applies
# them when it connects; the owner role's sessions — migrate — have none). A request's statement
# that runs a minute is a bug; a worker's may run long (a large import, a tenant's nightly SQL).
# Nobody sits idle in an open transaction for 5 minutes. A backend whose client died (a worker
# killed mid-statement) notices within 5 s and ends, releasing its locks
# (client_connection_check_interval, PostgreSQL 14+).
KAM_DB_SESSION: dict[str, dict[str, str]] = {
    "web": {"statement_timeout": "60s", "idle_in_transaction_session_timeout": "5min",
            "client_connection_check_interval": "5s"},
    "worker": {"statement_timeout": "30min", "idle_in_transaction_session_timeout": "5min",
               "client_connection_check_interval": "5s"},
}
KAM_ALLOW_RLS_BYPASS = not PRODUCTION and env_bool("KAM_ALLOW_RLS_BYPASS", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- broker -------------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL") or devstack.embedded_redis_url()
CELERY_BROKER_URL = (
    "redis+socket://" + REDIS_URL.removeprefix("unix://")
    if REDIS_URL.startswith("unix://")
    else REDIS_URL
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers a late-acked message that is not acknowledged within visibility_timeout, so it
# must be longer than the longest task (a tenant's nightly run may wait up to its 6 h expiry,
# kam.tasks.NIGHTLY_TASK_EXPIRES, and large imports run long): otherwise a second worker would start
# the same task while the first still runs it. 12 h; tests/kam/test_nightly.py checks the order.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 12 * 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- cache --------------------------------------------------------------------------------------
# The same Redis as Celery, another database number (API rate-limit counters live here).


def redis_db(url: str) -> int:
    """The database number of a redis:// (…/N) or unix:// (…?db=N) URL; 0 when not given."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme != "unix" and parts.path.strip("/"):
        return int(parts.path.strip("/"))
    return int(query.get("db", 0))


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"]
    if parts.scheme == "unix":  # unix:///path/redis.sock?db=N (string ops: urlunsplit drops "//")
        return url.partition("?")[0] + "?" + urlencode([*query, ("db", str(db))])
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query)))


CACHE_REDIS_DB = int(os.environ.get("KAM_CACHE_REDIS_DB", "1"))
if CACHE_REDIS_DB == redis_db(REDIS_URL):
    raise ImproperlyConfigured("KAM_CACHE_REDIS_DB must differ from the database of REDIS_URL "
                               "(Celery's broker)")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url_with_db(REDIS_URL, CACHE_REDIS_DB),
        "KEY_PREFIX": "kam",
    }
}

# --- outgoing mail -------------------------------------------------------------------------------
# Notifications' emails (kam.notify_mail) go through Django's SMTP backend, configured by one URL.
# Without EMAIL_URL (development only) they are printed by the console backend; `make demo` sets it
# to its own local SMTP server (kam.mailbox) and shows what that received.

_EMAIL_URL_FORM = ("EMAIL_URL must look like smtp://user:password@host:587/?tls=1 (STARTTLS), "
                   "smtps://user:password@host:465 (TLS from the start) or smtp://host:25")


def email_settings(url: str) -> dict[str, Any]:
    """Django's email settings from ``EMAIL_URL``: ``smtp://`` (``?tls=1`` for STARTTLS) or
    ``smtps://`` (implicit TLS), user and password percent-encoded, ``?timeout=`` seconds
    (default 10: a stuck server must not hold a worker forever). ``ImproperlyConfigured`` for
    anything else."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    try:
        port = parts.port
        timeout = float(query.pop("timeout", "10"))
    except ValueError:
        raise ImproperlyConfigured(_EMAIL_URL_FORM) from None
    tls = query.pop("tls", "0").lower() in {"1", "true", "yes", "on"}
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname or query or timeout <= 0 \
            or (tls and parts.scheme == "smtps"):
        raise ImproperlyConfigured(_EMAIL_URL_FORM)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": timeout,
    }


if os.environ.get("EMAIL_URL"):
    _email = email_settings(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], _email["EMAIL_PORT"]
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_USER"], _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS, EMAIL_USE_SSL = _email["EMAIL_USE_TLS"], _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Where links in emails point (no request to take the host from): the first allowed host.
_FIRST_HOST = ALLOWED_HOSTS[0].lstrip(".") if ALLOWED_HOSTS else "localhost"
KAM_SITE_URL = os.environ.get("KAM_SITE_URL") or (
    f"https://{_FIRST_HOST}" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or (
    f"KAM <noreply@{_FIRST_HOST}>" if PRODUCTION else "KAM <kam@localhost>")
if PRODUCTION and _FIRST_HOST in {"", "*"} and not (
        os.environ.get("KAM_SITE_URL") and os.environ.get("DEFAULT_FROM_EMAIL")):
    raise ImproperlyConfigured("With DJANGO_ALLOWED_HOSTS=* set KAM_SITE_URL and "
                               "DEFAULT_FROM_EMAIL (links and senders of emails)")
# Development only: the folder where `make demo`'s SMTP server keeps what it received (an admin
# page lists it: kam.mailbox). Empty: no demo mailbox, and that page is a 404.
KAM_DEMO_MAILBOX = "" if PRODUCTION else os.environ.get("KAM_DEMO_MAILBOX", "")

# --- auth and sessions --------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "kam.passwords.MinimumLengthValidator"},  # its message translated
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "kam:login"
LOGIN_REDIRECT_URL = "kam:home"  # my day (kam.myday)
LOGOUT_REDIRECT_URL = "kam:login"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # read by htmx to send X-CSRFToken
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Login lockout (django-axes): 5 failures per (username, client address) lock that pair for 15
# minutes. The pair, not the username alone, so someone elsewhere cannot lock a user out; a further
# failure during the lock restarts it; a successful login clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kam.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "kam.lockout.client_ip"
# Reverse proxies in front of the app that append to X-Forwarded-For; the client address is the
# entry the outermost trusted proxy appended. 0 = use the socket's address. Production sits behind
# the TLS proxy that sets X-Forwarded-Proto (see README), so it defaults to 1 there.
KAM_TRUSTED_PROXY_COUNT = int(os.environ.get("KAM_TRUSTED_PROXY_COUNT", "1" if PRODUCTION else "0"))

# Content-Security-Policy (django-csp 4) on every response: no inline script or style, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    },
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [
        o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
    ]

# --- locale -------------------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates, times and number grouping per language (kam/formats/: "2 Dec 2026, 15:08" in English,
# "2026年12月2日 15:08" and "8,410,520" in Chinese); kam.l10n formats money, counts and relative days.
# USE_THOUSAND_SEPARATOR stays off: it would group every number a template prints, ids in links too.
FORMAT_MODULE_PATH = ["kam.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files -------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic (production images) writes here; development serves from STATICFILES_DIRS.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production WhiteNoise serves static/ as it is on disk (runserver serves no static files
# without DEBUG): an edited stylesheet shows on the next request, as under DEBUG.
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Uploaded imports and their reports (never served publicly: downloads go through views).
MEDIA_ROOT = (Path(os.environ.get("KAM_MEDIA_ROOT", BASE_DIR / "media")) if PRODUCTION
              else devstack.state_dir() / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API ----------------------------------------------------------------------------------------

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kam.authentication.ApiKeyAuthentication",
        "kam.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kam.permissions.IsTenantActor"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "kam.api.pagination.TenantCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kam.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    # Per API key (or session user): kam.throttling reads KAM_API_RATE; counters in CACHES.
    "DEFAULT_THROTTLE_CLASSES": ["kam.throttling.ApiKeyRateThrottle"],
}
# DRF's "<number>/<second|minute|hour|day>", e.g. "600/min".
KAM_API_RATE = os.environ.get("KAM_API_RATE", "600/min")
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", KAM_API_RATE):
    raise ImproperlyConfigured("KAM_API_RATE must look like 600/min (per second, min, hour or day)")
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# The API's own page for integrators (Swagger UI at /api/v1/docs/): what it offers and its rules.
# Markdown. "Tenant" is the API's word for the company whose KAM a key belongs to.
API_DESCRIPTION = """\
The REST API of KAM, key-account management: your company's key customer accounts, their
contacts, account teams, transactions, contracts, tiers and change history, for your ERP,
helpdesk or BI to read and write.

**Authentication.** Send an API key in every request:
`Authorization: Bearer kam_<prefix>_<secret>`. A key belongs to one company (the *tenant*) and
sees only that company's data. Administrators create keys on the settings page; a key is shown
once, stored hashed and can be revoked. Scopes: `read` (GET) and `write` (changes; implies
`read`). A missing or revoked key is a 401, a key without the scope a 403.

**Resources.** `accounts` (with their tier and its breakdown) and
`accounts/{id}/history/` (the audit trail, read-only); `contacts`; `account-team`;
`transactions`, with `POST transactions/bulk/` (up to 10,000 upserts by `external_id` in one
transaction: all or nothing); `contracts`, with `contracts/renewals-due/`; `tier-changes`
(`?since=` a moment: every tier change after it, oldest first, to mirror tiers); `visits`
(plan, change — a new start is a reschedule —, `visits/{id}/report/` completes one with our
commitments as follow-ups, `visits/{id}/cancel/`) and `follow-ups` (`done`, `cancel`, `reopen`;
a recurring one, done, is followed by the next), each with `bulk/` (up to 1,000 upserts by
`external_id`, all or nothing); visit cadence, read-only: `accounts/{id}/cadence/` (each level
against the tier's service standard: last visit, next due, state, compliance) and `coverage`
(every account and level, filtered by `tier`, `level`, `state`, `gap`); `care-reminders`
(birthdays, festivals and contract anniversaries coming up, made each night for the account's
owner; `dismiss/`).
Records your systems own carry your `external_id`, unique per company.

**Lists.** Cursor pagination: follow the `next` and `previous` links; `page_size` 1–500 (default
50). Filters and `ordering` are each operation's documented query parameters.

**Input.** JSON bodies of the documented types and fields only: decimals as strings (`"12.50"`)
or whole numbers, dates as `YYYY-MM-DD`, moments in ISO 8601 (without an offset, the company's
time zone applies). Unknown, read-only or repeated fields and parameters are refused, not
ignored. Money is in the company's currency.

**Errors.** Always JSON: `{"message": "...", "errors": {"field": ["..."]}}`, in the language of
`Accept-Language` (English or Simplified Chinese). 400 bad input (nothing changed), 401, 403,
404 (also for another company's objects), 405, 413 (body over 2.5 MB), 415, 429, and 503 with
`Retry-After` while the database is unreachable: retry then.

**Rate limit.** Per key (600 requests a minute unless the operator set another limit); over it,
429 with `Retry-After` in seconds.
"""

SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name for the tier choices wherever they appear (tier, computed_tier, from/to_tier).
    "ENUM_NAME_OVERRIDES": {"TierEnum": "accounts.tiering.models.Tier"},
}

# No request bodies or parameters in logs: django.request logs the path only ("Not Found: /x/"),
# gunicorn's access log format (Dockerfile, docker-compose.yml) drops the query string, SQL with
# its parameters is never logged (django.db.backends stays above DEBUG), and django-axes masks
# usernames and addresses (AXES_SENSITIVE_PARAMETERS).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

KAM_STATE_DIR = devstack.state_dir()
KAM_APP_NAME = _("KAM")
