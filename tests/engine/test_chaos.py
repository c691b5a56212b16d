"""Durability under SIGKILL: idle workers, busy workers and a whole worker cluster, under load.

The scenario is bench/chaos_bench.py's short profile, run against a database
of its own (a fresh SQLite file with the ORM broker when the suite runs on
SQLite; a fresh PostgreSQL database ``<database name>_chaos`` with Redis when
it runs on PostgreSQL), with real ``manage.py waymark_worker`` clusters and the
real timer loop in subprocesses. What a user would notice is asserted: every
run they started completed, no step was recorded twice, nothing waits for a
person, and the cluster kept taking work after an idle worker was killed
(Django-Q2's own ``qcluster`` stops there for good). The settle time is
printed, never asserted. Every wait in the driver is bounded.

The Redis database is ``WAYMARK_CHAOS_REDIS_URL`` (default db 12, emptied
first); without a reachable Redis the PostgreSQL variant is skipped.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from bench import chaos_bench

pytestmark = [pytest.mark.slow]

REDIS_URL = os.environ.get("WAYMARK_CHAOS_REDIS_URL", "redis://127.0.0.1:6379/12")


def configuration() -> dict:
    """Where the chaos runs: the same kind of database as the rest of the suite."""
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return {"vendor": "sqlite"}
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {REDIS_URL} ({exc})")
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    pg_url = "postgres://{user}{password}@{host}:{port}/{name}_chaos".format(
        user=database.get("USER") or "postgres",
        password=password,
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        name=database["NAME"],  # the suite's own name: no two developers share one
    )
    return {"vendor": "postgres", "pg_url": pg_url, "redis_url": REDIS_URL}


def test_killing_idle_and_busy_workers_and_a_whole_cluster_loses_no_run():
    result = chaos_bench.run_configuration(**configuration())
    print("\n" + chaos_bench.summary(result))  # the settle time: reported, not asserted

    kinds = [kill["kind"] for kill in result["kills"]]
    assert kinds.count("idle") >= 2 and "busy" in kinds and "cluster" in kinds, result["kills"]
    # An idle worker's death no longer wedges the cluster: each batch ran on.
    assert result["stalls"] == []
    assert result["recoveries_logged"] >= kinds.count("idle")  # said loudly in the log
    # Every run started completed, without a person stepping in.
    assert result["runs_lost"] == 0, result["not_completed"]
    assert result["open_incidents"] == []
    assert result["settle_seconds"] is not None
    # Each step's state change happened exactly once.
    assert result["doubled_workitems"] == []
    assert result["doubled_completions"] == []
    assert result["doubled_run_completions"] == []
    assert result["steps_recorded"] == result["steps_expected"]
