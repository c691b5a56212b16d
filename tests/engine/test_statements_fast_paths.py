"""The step's fast paths in engine.runtime.statements behave as Django's own would.

- ``new_instance`` builds the same model instance as ``Model(**fields)``;
- the compiled INSERT/UPDATE store what the ORM stores, with values passed
  unconverted only where the field would not change them;
- on SQLite a statement goes to the driver in its own placeholder style, unless
  someone watches the SQL (then it is counted as before), and its errors are
  still Django's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engine.models import AuditEvent, WorkItem
from engine.runtime import statements
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(wm):
    deploy([{"key": "w", "kind": "timer", "timer_duration": "1h"}], ["start>w", "w>end"], code="fp")
    return wm.start_run("fp", {"n": 1})


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_new_instance_is_the_instance_django_builds(run):
    now = timezone.now()
    fields = {"instance": run, "seq": 7, "activity_key": "w", "name": "W", "created_at": now}
    fast, plain = statements.new_instance(WorkItem, **fields), WorkItem(**fields)
    assert _values(fast) == _values(plain)
    assert fast._state.adding and fast.pk is None
    with CaptureQueriesContext(connection) as captured:
        assert fast.instance is run  # the related object is cached, as the descriptor does
    assert captured.captured_queries == []
    event = statements.new_instance(AuditEvent, action="x.y", process_id=run.process_id)
    assert _values(event) == _values(AuditEvent(action="x.y", process_id=run.process_id))
    assert event.metadata == {} and event.metadata is not AuditEvent().metadata
    with pytest.raises(TypeError):
        statements.new_instance(AuditEvent, action="x.y", nonsense=1)


def test_compiled_insert_stores_what_the_orm_stores(run):
    values = {
        "action": "t.insert",
        "actor_name": "system",
        "instance_id": run.pk,
        "tenant_id": "",
        "status_to": "ready",
        "metadata": {"n": 1, "s": "x", "none": None},
    }
    fast = AuditEvent(**values)
    statements.insert_rows([fast])
    plain = AuditEvent.objects.create(**values)

    def stored(pk):
        row = AuditEvent.objects.filter(pk=pk).values().get()
        return {k: v for k, v in row.items() if k not in ("id", "created_at")}

    assert stored(fast.pk) == stored(plain.pk)
    assert AuditEvent.objects.get(pk=fast.pk).created_at is not None


def test_a_value_of_another_type_still_goes_through_its_field(run):
    step = run.workitems.get(activity_key="w")
    step.seq = "41"  # a str for an integer column: converted by the field, as save() does
    step.lease_expires_at = timezone.now() + timedelta(minutes=5)
    statements.save_fields(step, ["seq", "lease_expires_at"])
    step.refresh_from_db()
    assert step.seq == 41 and step.lease_expires_at is not None


def test_watched_sql_is_counted_and_errors_are_djangos(run):
    step = run.workitems.get(activity_key="w")
    with CaptureQueriesContext(connection) as captured:
        statements.save_fields(step, ["name"])
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["UPDATE"]
    bad = AuditEvent(action=None)  # NOT NULL column: the driver refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        statements.insert_rows([bad])


def test_sqlite_placeholders_are_rewritten_as_django_does():
    assert statements._qmark("SELECT %s, '100%%' WHERE a = %s") == "SELECT ?, '100%' WHERE a = ?"
