"""Pluggable scheduler backends: who runs the scans, timers and deferred workitem actions.

Chosen by ``WAYMARK_SCHEDULER_BACKEND`` ("django_q", "cron", "immediate" or a
dotted path). The engine's own tables hold what is due; a backend only decides
how the work gets triggered.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from engine.conf import SCHEDULER_BACKENDS, waymark_setting


class SchedulerBackend:
    """Base class. Subclasses decide how scans and deferred actions are triggered."""

    name = "base"

    def schedule_timeout_scan(self) -> None:
        raise NotImplementedError

    def schedule_sla_scan(self) -> None:
        raise NotImplementedError

    def schedule_workitem_action(self, workitem_id: int, action: str = "forward", **kwargs) -> None:
        raise NotImplementedError

    def schedule_notification(self, user_id: int, workitem_ids: list[int] | None = None) -> None:
        raise NotImplementedError


class DjangoQSchedulerBackend(SchedulerBackend):
    name = "django_q"


class CronSchedulerBackend(SchedulerBackend):
    name = "cron"


class ImmediateSchedulerBackend(SchedulerBackend):
    name = "immediate"


def get_backend() -> SchedulerBackend:
    path = waymark_setting("SCHEDULER_BACKEND")
    return import_string(SCHEDULER_BACKENDS.get(path, path))()
