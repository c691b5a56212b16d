"""Waymark's settings: the one place that reads them, with their defaults.

Each is a Django setting named ``WAYMARK_<NAME>``; read them through
``waymark_setting(NAME)`` at call time (never at import time) so tests and
deployments can override them.

| setting                     | default                                  | meaning |
|-----------------------------|------------------------------------------|---------|
| SCHEDULER_BACKEND           | "engine.scheduler.DjangoQSchedulerBackend" | who runs steps, timers' work and scans: "django_q", "celery" (optional), "cron", or "immediate" (tests) |
| CONDITION_STRATEGY          | "compatible"                             | "compatible": an invalid condition is kept with a warning and, at run time, compared as text with instance.condition; "strict": rejected on save, false at run time |
| AUDIT_ENABLED               | True                                     | record audit events |
| SLA_ENABLED                 | True                                     | the SLA scan marks warned / breached workitems |
| SLA_NOTIFY                  | True                                     | e-mail the assignee (or candidates) on warning and breach |
| SLA_AUTO_ASSIGN             | False                                    | on breach, offer the workitem to the activity's roles again (escalation) |
| COMPENSATION_AUTO           | False                                    | run an activity's compensation handler as soon as its workitem falls out |
| WEBHOOK_ENABLED             | True                                     | deliver audit events to webhook endpoints |
| WEBHOOK_TIMEOUT             | 5                                        | seconds per webhook delivery attempt |
| WEBHOOK_ALLOW_PRIVATE       | False                                    | allow webhook URLs that resolve to private / loopback / link-local addresses |
| WEBHOOK_MAX_ATTEMPTS        | 6                                        | delivery attempts before a delivery is given up |
| WEBHOOK_BACKOFF_SECONDS     | 10                                       | wait before the first retry; each next wait is 4 times longer (plus up to 10% jitter) |
| WEBHOOK_BACKOFF_MAX_SECONDS | 3600                                     | longest wait between two attempts |
| WEBHOOK_MAX_REDIRECTS       | 3                                        | redirects a delivery follows (each hop is checked against the address policy) |
| WEBHOOK_SECRET_GRACE_SECONDS | 86400                                   | after a secret is rotated, the old one also signs for this long |
| TENANT_RESOLVER             | None                                     | dotted path of ``f(request_or_user) -> {"tenant_id": ..., "org_id": ...}`` |
| TENANT_FILTER               | None                                     | dotted path of ``f(queryset, tenant) -> queryset`` applied to every list and lookup |
| SIGNAL_RETENTION            | "1d"                                     | how long a signal that arrived before its run waits is kept |
| TIMER_POLL_SECONDS          | 0.5                                      | how often the timer loop looks for due timers |
| RECONCILE_AFTER_SECONDS     | 20                                       | a step (or webhook delivery) whose message no worker took after this long is sent again (not counted as an attempt; a duplicate is a no-op) |
| STEP_LEASE_SECONDS          | 15                                       | a running step's lease, renewed by its worker every third of it; a step whose lease lapsed lost its worker: a failed attempt, retried per its policy |
| MAX_STEPS_PER_RUN           | 10000                                    | a run that takes more steps gets an incident (loops without exit) |
| MAX_DATA_BYTES              | 262144                                   | largest run data, as JSON |
| API_MAX_WAIT_SECONDS        | 60                                       | longest a ``?wait=`` request of the runs API holds (a larger wait is cut to this) |
| API_MAX_WAITING             | 8                                        | ``?wait=`` requests one server process lets wait at once (each holds a thread); one more answers at once |
| HANDLERS                    | {}                                       | name -> dotted path of automatic-task handlers, added to @handler registrations (trusted: set by an administrator) |
| HANDLER_MODULES             | []                                       | modules imported when the app is ready, so their @handler registrations count; a definition may name only registered handlers |
| HTTP_SECRETS                | {}                                       | secret name -> value (or "env:VAR" to read an environment variable), or {"value": ..., "hosts": [...]} to send it only to those hosts, for HTTP tasks' headers; definitions hold names only |
| HTTP_TIMEOUT                | 10                                       | seconds an HTTP task waits to connect and for each read |
| HTTP_MAX_RESPONSE_BYTES     | 1048576                                  | largest answer an HTTP task reads; a larger one is a failed attempt |
| HTTP_MAX_REDIRECTS          | 3                                        | redirects an HTTP task follows (each hop is checked against the address rules) |
| HTTP_ALLOW_PRIVATE          | False                                    | let HTTP tasks reach private / loopback / link-local addresses |
| HTTP_ALLOWED_HOSTS          | []                                       | host names or addresses (optionally host:port) HTTP tasks may reach even when private |
| TRIGGER_MODELS              | auth.Group: name; auth.User: username, is_active, last_login, date_joined | ``app_label.ModelName`` -> field names (or "__all__") record triggers may read; other models are refused (engine/runtime/record_access.py) |
| TRIGGER_SECRET_FIELDS       | []                                       | more words that mark a field as secret (never read by triggers), beside password, secret, token, hash, ... |

A GoFlow2 project's ``GOFLOW_<NAME>`` settings (those in ``GOFLOW_TWINS``) are read as
their ``WAYMARK_<NAME>`` twins when those are not set; ``manage.py check`` names each one
to rename (waymark.W101, engine/checks_goflow.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    "SCHEDULER_BACKEND": "engine.scheduler.DjangoQSchedulerBackend",
    "CONDITION_STRATEGY": "compatible",
    "AUDIT_ENABLED": True,
    "SLA_ENABLED": True,
    "SLA_NOTIFY": True,
    "SLA_AUTO_ASSIGN": False,
    "COMPENSATION_AUTO": False,
    "WEBHOOK_ENABLED": True,
    "WEBHOOK_TIMEOUT": 5,
    "WEBHOOK_ALLOW_PRIVATE": False,
    "WEBHOOK_MAX_ATTEMPTS": 6,
    "WEBHOOK_BACKOFF_SECONDS": 10,
    "WEBHOOK_BACKOFF_MAX_SECONDS": 3600,
    "WEBHOOK_MAX_REDIRECTS": 3,
    "WEBHOOK_SECRET_GRACE_SECONDS": 86400,
    "TENANT_RESOLVER": None,
    "TENANT_FILTER": None,
    "SIGNAL_RETENTION": "1d",
    "TIMER_POLL_SECONDS": 0.5,
    "RECONCILE_AFTER_SECONDS": 20,
    "STEP_LEASE_SECONDS": 15,
    "MAX_STEPS_PER_RUN": 10_000,
    "MAX_DATA_BYTES": 262_144,
    "API_MAX_WAIT_SECONDS": 60,
    "API_MAX_WAITING": 8,
    "HANDLERS": {},
    "HANDLER_MODULES": [],
    "HTTP_SECRETS": {},
    "HTTP_TIMEOUT": 10,
    "HTTP_MAX_RESPONSE_BYTES": 1_048_576,
    "HTTP_MAX_REDIRECTS": 3,
    "HTTP_ALLOW_PRIVATE": False,
    "HTTP_ALLOWED_HOSTS": [],
    "TRIGGER_MODELS": {
        "auth.Group": ["name"],
        "auth.User": ["username", "is_active", "last_login", "date_joined"],
    },
    "TRIGGER_SECRET_FIELDS": [],
}

SCHEDULER_BACKENDS = {
    "django_q": "engine.scheduler.DjangoQSchedulerBackend",
    "cron": "engine.scheduler.CronSchedulerBackend",
    "immediate": "engine.scheduler.ImmediateSchedulerBackend",
    # Optional (pip install celery): engine/celery_backend.py, app in config/celery.py.
    "celery": "engine.celery_backend.CelerySchedulerBackend",
}


# GoFlow2's settings that Waymark understands: GOFLOW_<NAME> is read as WAYMARK_<NAME>
# when the WAYMARK_ one is not set (the check waymark.W101 asks to rename it).
GOFLOW_TWINS = (
    "SCHEDULER_BACKEND",
    "CONDITION_STRATEGY",
    "AUDIT_ENABLED",
    "SLA_ENABLED",
    "SLA_NOTIFY",
    "SLA_AUTO_ASSIGN",
    "COMPENSATION_AUTO",
    "WEBHOOK_ENABLED",
    "WEBHOOK_TIMEOUT",
    "TENANT_RESOLVER",
    "TENANT_FILTER",
)
# GoFlow2's scheduler backends by dotted path, as Waymark's names.
GOFLOW_SCHEDULER_BACKENDS = {
    "goflow.runtime.scheduler.CronSchedulerBackend": "cron",
    "goflow.runtime.scheduler.CelerySchedulerBackend": "celery",
}


def goflow_value(name: str, value: Any) -> Any:
    """A GOFLOW_<name> value as its WAYMARK_<name> twin means it."""
    if name == "SCHEDULER_BACKEND" and isinstance(value, str):
        return GOFLOW_SCHEDULER_BACKENDS.get(value, value)
    return value


def waymark_setting(name: str) -> Any:
    """The value of ``settings.WAYMARK_<name>`` (or its GOFLOW_ twin), or the default."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown Waymark setting {name!r}")
    if hasattr(settings, f"WAYMARK_{name}") or name not in GOFLOW_TWINS:
        return getattr(settings, f"WAYMARK_{name}", DEFAULTS[name])
    if hasattr(settings, f"GOFLOW_{name}"):
        return goflow_value(name, getattr(settings, f"GOFLOW_{name}"))
    return DEFAULTS[name]


# Settings a worker reads on every step (audit on, data cap, step budget, condition
# strategy, webhooks on): read once per process, and again after any setting changes
# (``setting_changed``: override_settings, the tests' settings fixture). Each
# waymark_setting() goes through Django's lazy settings, twice for a name that is not
# set (an AttributeError inside it each time): a few per step were 5% of a step's CPU.
_step_settings: dict[str, Any] = {}


def step_setting(name: str) -> Any:
    """``waymark_setting(name)``, cached until a setting changes (for the step's hot path)."""
    try:
        return _step_settings[name]
    except KeyError:
        value = _step_settings[name] = waymark_setting(name)
        return value


def _forget_step_settings(**kwargs: Any) -> None:
    _step_settings.clear()


setting_changed.connect(_forget_step_settings, dispatch_uid="waymark.step_settings")


def condition_strategy() -> str:
    return str(step_setting("CONDITION_STRATEGY"))
