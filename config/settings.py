"""Django settings for Waymark.

Everything that differs between a laptop and a deployment comes from the
environment (see README "Configuration"):

    DATABASE_URL      default: SQLite in $WAYMARK_VAR_DIR/waymark.sqlite3 (WAL mode);
                      WAYMARK_VAR_DIR defaults to var/ and is created when missing
    REDIS_URL         when set, Django-Q2 uses Redis as its broker; else the ORM broker
    SECRET_KEY        required by `check --deploy` (waymark.E011), and whenever DEBUG
                      is off and ALLOWED_HOSTS names a host beyond this machine (E012)
    DEBUG             "1" to turn on debug pages
    ALLOWED_HOSTS     comma-separated host names
    WAYMARK_WORKERS   Django-Q2 worker processes per qcluster (default 2)
    WAYMARK_HANDLER_MODULES  comma-separated modules whose @handler functions may be
                      named by processes (default: engine.demo_handlers, the demo's)

Waymark's own settings (WAYMARK_*) and their defaults are listed in
engine/conf.py, the one place that reads them.
"""

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WAYMARK_VAR_DIR", BASE_DIR / "var"))


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A development-only key: good for a laptop, refused by `check --deploy` and for
    # non-local ALLOWED_HOSTS without DEBUG (engine/checks.py).
    SECRET_KEY = "waymark-insecure-development-key-change-me-in-production-0123456789"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django's widget templates, for the project's form renderer (FORM_RENDERER).
    "django.forms",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "engine",
    "designer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A view failing because the database is down answers 503 + Retry-After, not 500.
    "config.errors.DatabaseUnavailableMiddleware",
    # Static files are served by the app itself (runserver without DEBUG, gunicorn):
    # `make run` and a plain deployment look right with no web server in front.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "designer.context_processors.navigation",
            ],
        },
    },
]

# One field template for every form (templates/forms/field.html): designer/rendering.py.
FORM_RENDERER = "designer.rendering.FormRenderer"

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"


# Database ------------------------------------------------------------------

SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock when a transaction starts, so two workers
    # queue on the busy timeout instead of failing with "database is locked"
    # when one of them upgrades a read to a write.
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"),
}

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "waymark.sqlite3",
            "CONN_MAX_AGE": 600,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
if not DATABASE_URL:
    # A fresh clone has no var/: a plain `manage.py migrate` must work without `make run`.
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Cannot create {VAR_DIR} for the SQLite database ({exc.strerror}): "
            "set WAYMARK_VAR_DIR to a writable folder, or DATABASE_URL."
        ) from exc
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Auth ----------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"


# Internationalisation ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True


# Static files --------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the apps' static folders, so no collectstatic step is needed
# (run it in a deployment all the same: files in STATIC_ROOT are served too).
WHITENOISE_USE_FINDERS = True
# ... so a missing STATIC_ROOT (no collectstatic yet) is normal, not worth a warning.
warnings.filterwarnings("ignore", message="No directory at: .*staticfiles")
WHITENOISE_AUTOREFRESH = DEBUG


# Security ------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
if not DEBUG:
    SESSION_COOKIE_SECURE = env_flag("SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES", default=False)


# REST framework ------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # ?page= and ?page_size= (at most 200), checked with the filters (engine/api/filters.py).
    "DEFAULT_PAGINATION_CLASS": "engine.api.filters.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Waymark API",
    "DESCRIPTION": "Design, publish and run workflows.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the installed sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Ids in paths are 64-bit integers (engine/api/converters.py).
    # Two choice sets share the field name "kind": name each one.
    "ENUM_NAME_OVERRIDES": {
        "IncidentKindEnum": "engine.models.waiting.IncidentKind",
        "ActivityKindEnum": "engine.models.definitions.ActivityKind",
    },
    "PATH_CONVERTER_OVERRIDES": {
        "wid": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1},
    },
}


# Django-Q2 -----------------------------------------------------------------
# Tuned for a workflow engine rather than Django-Q2's defaults. The engine's
# own tables are the ledger (see docs/architecture.md); the queue only rings
# the doorbell, so a task may be retried or lost without losing a run.

REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "waymark",
    "workers": int(os.environ.get("WAYMARK_WORKERS", "2")),
    # A task is killed after `timeout` seconds; `retry` must be longer, or a
    # slow task would be handed to a second worker while the first still runs.
    "timeout": 300,
    "retry": 360,
    # 0 would mean forever: a poison task would be redelivered without end.
    "max_attempts": 3,
    # A failed task is acknowledged: the engine records the failure and
    # decides about retries itself (with backoff), not the broker.
    "ack_failures": True,
    # Keep results, but don't prune on every success (pruning locks rows).
    "save_limit": 1000,
    "recycle": 500,
    "max_rss": 150_000,  # KiB: recycle a worker that grows past ~150 MB
    "poll": 0.1,
    "bulk": 1,
    "catch_up": False,
    "label": "Waymark tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"


# Celery (optional: `pip install celery`; used when WAYMARK_SCHEDULER_BACKEND is
# "celery"). The app is config/celery.py; it reads the CELERY_* settings.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if os.environ.get("WAYMARK_SCHEDULER_BACKEND"):
    WAYMARK_SCHEDULER_BACKEND = os.environ["WAYMARK_SCHEDULER_BACKEND"]


# Logging -------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "engine": {"level": os.environ.get("WAYMARK_LOG_LEVEL", "INFO")},
        "django-q": {"level": "INFO"},
    },
}


# Waymark -------------------------------------------------------------------
# Defaults live in engine/conf.py; override any WAYMARK_* setting here or in a
# local settings module.

# Modules whose @handler registrations processes may name. The default is the
# demo's; a deployment lists its own (the demo's handlers are then not loaded).
WAYMARK_HANDLER_MODULES = [
    module.strip()
    for module in os.environ.get("WAYMARK_HANDLER_MODULES", "engine.demo_handlers").split(",")
    if module.strip()
]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "waymark@localhost")
