"""The precompiled statements (engine.runtime.statements) read and write what the ORM would.

They rely on Django's compiler internals: a Django version they were not
checked against fails here first, loudly, before anything subtler breaks.
"""

from __future__ import annotations

from datetime import timedelta

import django
import pytest
from django.db import DatabaseError, transaction

from engine.models import ProcessInstance, Timer, WorkItem
from engine.runtime import locks, statements
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db


def test_django_is_a_version_the_statements_were_checked_against():
    assert django.VERSION[:2] in statements.CHECKED_DJANGO, (
        f"Django {django.get_version()} is not one engine.runtime.statements was checked "
        f"against ({statements.CHECKED_DJANGO}): re-check its use of the SQL compiler's "
        "internals (select, klass_info, annotation_col_map, get_converters), run the engine "
        "tests on SQLite and PostgreSQL, then add the version to CHECKED_DJANGO."
    )


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def waiting(wm):
    deploy([{"key": "w", "kind": "timer", "timer_duration": "1h"}], ["start>w", "w>end"], code="st")
    run = wm.start_run("st", {"n": 1, "when": "2030-01-01"})
    return run, run.workitems.get(activity_key="w")


def test_the_locked_reads_match_the_orm(waiting):
    run, workitem = waiting
    with transaction.atomic():
        locked, state, version = locks.lock_run_with(run.pk, workitem.pk)
        assert _values(locked) == _values(ProcessInstance.objects.get(pk=run.pk))
        assert (state, version) == (workitem.state, workitem.lock_version)
        assert _values(locks.try_lock_run(run.pk)) == _values(locked)
    assert _values(locks.get_workitem(workitem.pk)) == _values(WorkItem.objects.get(pk=workitem.pk))


def test_a_missing_row_is_an_error_or_none(waiting):
    run, workitem = waiting
    with transaction.atomic():
        with pytest.raises(ProcessInstance.DoesNotExist):
            locks.lock_run_with(run.pk + 1000, workitem.pk)
        assert locks.try_lock_run(run.pk + 1000) is None
    with pytest.raises(WorkItem.DoesNotExist):
        locks.get_workitem(workitem.pk + 1000)


def test_save_fields_writes_like_save(waiting):
    run, workitem = waiting
    run.data = {"n": 2, "nested": {"list": [1, "two"]}}
    before = run.updated_at
    statements.save_fields(run, ["data", "updated_at"])
    again = ProcessInstance.objects.get(pk=run.pk)
    assert again.data == {"n": 2, "nested": {"list": [1, "two"]}}
    assert again.updated_at >= before  # auto_now applied
    ProcessInstance.objects.filter(pk=run.pk).delete()
    with pytest.raises(DatabaseError, match="no row to update"):
        statements.save_fields(run, ["data"])


def test_a_timer_is_marked_fired_once_and_only_when_due(waiting):
    run, workitem = waiting
    timer = Timer.objects.get(workitem=workitem)
    assert not statements.mark_timer_fired(timer.pk, timer.due_at - timedelta(seconds=1))
    assert statements.mark_timer_fired(timer.pk, timer.due_at)
    assert not statements.mark_timer_fired(timer.pk, timer.due_at + timedelta(hours=1))
    assert Timer.objects.get(pk=timer.pk).fired_at == timer.due_at
