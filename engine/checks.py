"""System checks for a misconfigured Waymark, with coded ids and hints."""

from __future__ import annotations

import shutil
from importlib.util import find_spec

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from engine.conf import SCHEDULER_BACKENDS, waymark_setting

BROKER_KEYS = ("orm", "redis", "django_redis", "sqs", "iron_mq", "mongo", "broker_class")


@register(Tags.compatibility)
def check_graphviz(app_configs, **kwargs):
    if shutil.which("dot"):
        return []
    return [
        Warning(
            "Graphviz's `dot` program was not found on PATH: the designer cannot draw graphs.",
            hint="Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu) "
            "or `brew install graphviz` (macOS).",
            id="waymark.W001",
        )
    ]


@register()
def check_broker(app_configs, **kwargs):
    conf = getattr(settings, "Q_CLUSTER", None)
    if isinstance(conf, dict) and any(conf.get(k) for k in BROKER_KEYS):
        return []
    return [
        Error(
            "No Django-Q2 broker is configured: automatic steps, timers and webhooks will "
            "never run.",
            hint="Set Q_CLUSTER['orm'] = 'default' (the embedded default) or set REDIS_URL.",
            id="waymark.E002",
        )
    ]


@register()
def check_scheduler_backend(app_configs, **kwargs):
    path = waymark_setting("SCHEDULER_BACKEND")
    path = SCHEDULER_BACKENDS.get(path, path)
    if path == SCHEDULER_BACKENDS["celery"]:
        return check_celery()
    try:
        import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"Unknown scheduler backend {path!r}: {exc}",
                hint="Set WAYMARK_SCHEDULER_BACKEND to one of "
                + ", ".join(sorted(SCHEDULER_BACKENDS))
                + " or a dotted path to a SchedulerBackend subclass.",
                id="waymark.E003",
            )
        ]
    return []


def check_celery() -> list[Error]:
    """The Celery backend needs Celery (waymark.E030) and a broker URL (waymark.E031)."""
    if find_spec("celery") is None:
        return [
            Error(
                'WAYMARK_SCHEDULER_BACKEND is "celery" but Celery is not installed: automatic '
                "steps, timers' work, scans and webhook deliveries cannot be queued.",
                hint='pip install "celery>=5.4" (an optional dependency of Waymark), or set '
                'WAYMARK_SCHEDULER_BACKEND = "django_q" (the default).',
                id="waymark.E030",
            )
        ]
    from celery import current_app

    if not current_app.conf.broker_url:
        return [
            Error(
                'WAYMARK_SCHEDULER_BACKEND is "celery" but no Celery broker URL is set: '
                "nothing would reach a worker.",
                hint="Set CELERY_BROKER_URL, e.g. amqp://guest:guest@127.0.0.1:5672// "
                "(RabbitMQ) or redis://127.0.0.1:6379/1, and load the project's Celery app "
                "(config/celery.py) when Django starts (config/__init__.py does).",
                id="waymark.E031",
            )
        ]
    return []


@register()
def check_condition_strategy(app_configs, **kwargs):
    strategy = waymark_setting("CONDITION_STRATEGY")
    if strategy in ("compatible", "strict"):
        return []
    return [
        Error(
            f"Unknown condition strategy {strategy!r}.",
            hint="Set WAYMARK_CONDITION_STRATEGY to 'compatible' or 'strict'.",
            id="waymark.E004",
        )
    ]


@register()
def check_handler_settings(app_configs, **kwargs):
    """Handler modules and paths an administrator set must import (waymark.E010)."""
    from engine.handlers import load_modules

    hint = (
        "Fix the path or the module's import error; until then, definitions naming its "
        "handlers cannot be published and runs reaching them fall out."
    )
    errors = [
        Error(
            f"WAYMARK_HANDLER_MODULES: {module} cannot be imported: {error}",
            hint=hint,
            id="waymark.E010",
        )
        for module, error in load_modules()
    ]
    configured = waymark_setting("HANDLERS")
    if not isinstance(configured, dict):
        return [
            *errors,
            Error(
                "WAYMARK_HANDLERS must be a dict of handler name -> dotted path.",
                id="waymark.E010",
            ),
        ]
    for name, path in configured.items():
        try:
            func = import_string(path)
        except Exception as exc:  # ImportError, or the module failing as it loads
            errors.append(
                Error(
                    f"WAYMARK_HANDLERS[{name!r}] = {path!r} cannot be imported: "
                    f"{type(exc).__name__}: {exc}",
                    hint=hint,
                    id="waymark.E010",
                )
            )
            continue
        if not callable(func):
            errors.append(
                Error(f"WAYMARK_HANDLERS[{name!r}] = {path!r} is not callable.", id="waymark.E010")
            )
    return errors


# config/settings.py falls back to a key that is public (it is in the repository) when
# SECRET_KEY is not set. Whoever knows it can forge sessions and sign queue payloads.
DEVELOPMENT_KEY_PREFIX = "waymark-insecure-"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "testserver", "::1", "[::1]"})
KEY_HINT = (
    "Set the SECRET_KEY environment variable to a long random value, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, the same for the web "
    "server and the workers."
)


def _development_key() -> bool:
    return str(settings.SECRET_KEY).startswith(DEVELOPMENT_KEY_PREFIX)


@register(Tags.security, deploy=True)
def check_deploy_secret_key(app_configs, **kwargs):
    """`check --deploy` refuses the development key, whatever DEBUG says (waymark.E011)."""
    if not _development_key():
        return []
    return [
        Error(
            "SECRET_KEY is not set: Waymark runs with its public development key.",
            hint=KEY_HINT,
            id="waymark.E011",
        )
    ]


@register(Tags.security)
def check_secret_key_served(app_configs, **kwargs):
    """DEBUG off, the development key, and hosts beyond this machine: a deployment that
    forgot its key (waymark.E012). A laptop (local hosts only) stays as it is."""
    if settings.DEBUG or not _development_key():
        return []
    remote = sorted(host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS)
    if not remote:
        return []
    return [
        Error(
            "SECRET_KEY is not set although Waymark answers for "
            f"{', '.join(remote)}: its public development key would sign sessions and "
            "queue payloads.",
            hint=KEY_HINT,
            id="waymark.E012",
        )
    ]


@register()
def check_step_timing(app_configs, **kwargs):
    """The step lease and the re-send delay are positive numbers of seconds (waymark.E020)."""
    errors = []
    for name, least in (("STEP_LEASE_SECONDS", 1.0), ("RECONCILE_AFTER_SECONDS", 1.0)):
        value = waymark_setting(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < least:
            errors.append(
                Error(
                    f"WAYMARK_{name} must be a number of seconds of at least {least:g}, "
                    f"not {value!r}.",
                    hint="Leave it unset for the default (STEP_LEASE_SECONDS 15: a dead "
                    "worker's step is retried after about that long; RECONCILE_AFTER_SECONDS "
                    "20: a lost message is sent again after that long).",
                    id="waymark.E020",
                )
            )
    return errors
