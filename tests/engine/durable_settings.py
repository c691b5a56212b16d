"""Settings for the qcluster / timer-loop subprocesses of the PostgreSQL durability tests."""

import os

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

# Short enough for a test to see a killed worker's step sent again.
Q_CLUSTER = {**Q_CLUSTER, "timeout": 20, "retry": 30, "workers": 2, "orm": "default"}
Q_CLUSTER.pop("redis", None)
WAYMARK_RECONCILE_AFTER_SECONDS = 6
WAYMARK_SCHEDULER_BACKEND = "django_q"
# The durable.* handlers the tests name.
WAYMARK_HANDLER_MODULES = ["tests.engine.durable_handlers"]
# A test may shorten the step lease (default 15 s) to see it renewed quickly.
WAYMARK_STEP_LEASE_SECONDS = float(os.environ.get("WAYMARK_TEST_STEP_LEASE_SECONDS", "15"))
