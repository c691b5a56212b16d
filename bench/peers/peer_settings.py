"""Django settings of the peer benchmark (its own virtualenv; no Waymark code)."""

import os

SECRET_KEY = "peer-benchmark-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "viewflow",
    "viewflow.workflow",
    "goflow.workflow",
    "goflow.runtime",
    "peerapp",
]
ROOT_URLCONF = "peer_urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["PEER_DB"],
        # The same SQLite settings as Waymark's (config/settings.py).
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth"]},
    }
]
# goflow2: the user automatic activities run as, and its applications' URL prefix.
WF_USER_AUTO = "workflow"
WF_APPS_PREFIX = ""
GOFLOW_AUDIT_ENABLED = True
GOFLOW_WEBHOOK_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": True}
