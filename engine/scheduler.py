"""The scheduler's public door: the seeds' functions and the backends' stable dotted paths.

The implementation is ``engine.runtime.scheduler``. This module keeps the
names code and settings already use: ``WAYMARK_SCHEDULER_BACKEND`` may name
``engine.scheduler.DjangoQSchedulerBackend`` (or the cron or immediate
backend, or a subclass of ``SchedulerBackend``), and applications call
``engine.scheduler.schedule_workitem_action(...)`` and friends.
"""

from engine.runtime.scheduler import (
    PERIODIC,
    CronSchedulerBackend,
    DjangoQSchedulerBackend,
    ImmediateSchedulerBackend,
    SchedulerBackend,
    dispatch,
    dispatch_now,
    get_backend,
    install,
    install_on_migrate,
    schedule_notification,
    schedule_sla_scan,
    schedule_timeout_scan,
    schedule_workitem_action,
)

__all__ = [
    "PERIODIC",
    "CronSchedulerBackend",
    "DjangoQSchedulerBackend",
    "ImmediateSchedulerBackend",
    "SchedulerBackend",
    "dispatch",
    "dispatch_now",
    "get_backend",
    "install",
    "install_on_migrate",
    "schedule_notification",
    "schedule_sla_scan",
    "schedule_timeout_scan",
    "schedule_workitem_action",
]
