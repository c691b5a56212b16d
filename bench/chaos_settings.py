"""Settings of the chaos driver (bench/chaos_bench.py) and of the worker clusters and timer
loop it starts and kills.

The database and the broker come from the environment (DATABASE_URL, and
REDIS_URL for Redis, else the ORM broker), as for Waymark itself. Everything
else is Waymark's default (task timeout, broker retry, reconcile interval,
step leases): the settle time the benchmark prints is what a deployment gets.
"""

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

# Its own cluster name (Redis keys and ORM queue rows never mix with another
# cluster's) and three workers, so that some are idle while others are busy.
Q_CLUSTER = {**Q_CLUSTER, "name": "waymark_chaos", "workers": 3}
WAYMARK_SCHEDULER_BACKEND = "django_q"
# A name for the chaos handler, as an administrator would register one.
WAYMARK_HANDLERS = {"chaos.step": "bench.chaos_bench.step"}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
    "loggers": {
        # What a recovery says (the driver counts these lines in the cluster logs).
        "engine.workers": {"level": "WARNING"},
        "django-q": {"level": "WARNING"},
    },
}
