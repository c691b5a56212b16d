"""Settings for the Celery worker / timer-loop subprocesses of the Celery tests (PostgreSQL)."""

import os

from tests.engine.durable_settings import *  # noqa: F403

WAYMARK_SCHEDULER_BACKEND = "celery"
CELERY_BROKER_URL = os.environ.get(
    "WAYMARK_TEST_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//"
)
# One queue per test session: nothing crosses over from (or to) another run of the suite.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("WAYMARK_TEST_CELERY_QUEUE", "celery")
