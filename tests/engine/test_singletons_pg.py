"""Singleton runs under real concurrency on PostgreSQL (skipped on SQLite).

Run with DATABASE_URL=postgres://...: twenty threads start the same process
with one singleton value at the same moment, each in its own connection.
"""

from __future__ import annotations

import pytest
from django.db import connection

from engine.models import AuditEvent, Process, ProcessInstance
from engine.models.definitions import clear_graph_cache
from engine.services import definitions, runtime
from tests.engine.conftest import deploy
from tests.engine.test_durability_pg import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()


def test_twenty_concurrent_starts_with_one_key_make_one_run():
    deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["bob"]}],
        ["start>h", "h>end"],
        code="agent",
    )
    definitions.update_process(Process.objects.get(code="agent"), singleton_key="data.guest")
    results = in_threads(20, lambda i: runtime.start("agent", {"guest": "g-7", "i": i}))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert ProcessInstance.objects.filter(process__code="agent").count() == 1
    run = ProcessInstance.objects.get(process__code="agent")
    assert {r.run.pk for r in results} == {run.pk}
    assert sum(r.created for r in results) == 1
    assert AuditEvent.objects.filter(instance=run, action="run.started").count() == 1
    assert AuditEvent.objects.filter(instance=run, action="run.start_deduplicated").count() == 19
    # Another value is another run, also under the same load.
    other = in_threads(5, lambda i: runtime.start_run("agent", {"guest": f"g-{i}"}))
    assert len({r.pk for r in other}) == 5
