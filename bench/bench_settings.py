"""Settings of the benchmark's own processes and its qcluster / timer-loop subprocesses.

The database and the broker come from the environment as for Waymark itself
(DATABASE_URL, REDIS_URL, WAYMARK_WORKERS: see config/settings.py); the
benchmark sets them per configuration. Only what a benchmark needs differs.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

# Its own cluster name, so its Redis keys never mix with a developer's cluster.
Q_CLUSTER = {**Q_CLUSTER, "name": "waymark_bench"}
if os.environ.get("WAYMARK_BENCH_KEEP_RESULTS"):  # trigger_bench reads every task's start
    Q_CLUSTER["save_limit"] = 0
# "celery" for the PostgreSQL + RabbitMQ configuration (the benchmark sets it).
WAYMARK_SCHEDULER_BACKEND = os.environ.get("WAYMARK_SCHEDULER_BACKEND", "django_q")
CELERY_TASK_DEFAULT_QUEUE = "waymark_bench"  # its own queue: never a developer's messages
# The bench.* handlers of the benchmark processes.
WAYMARK_HANDLER_MODULES = ["bench.handlers"]
# Nothing is lost in a benchmark; a re-send would only blur the figures.
WAYMARK_RECONCILE_AFTER_SECONDS = 600
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
