"""A person's runs read by index walks (engine.models.involvement, issue 16): after
every writer that makes or ends someone's involvement, the walks give exactly the
runs ``ProcessInstance.objects.involving`` gives, in list order."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from engine import permissions
from engine.models import ProcessInstance, WorkItem, WorkItemCandidate
from engine.services import moving
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db


def walked(user, upto: int = 1000, **kwargs) -> list[int]:
    return [pk for pk, _ in permissions.involved_first(user, upto, **kwargs)]


def expected(user, *, oldest: bool = False, state: str | None = None) -> list[int]:
    runs = ProcessInstance.objects.involving(user)
    if state:
        runs = runs.filter(state=state)
    order = ("started_at", "pk") if oldest else ("-started_at", "-pk")
    return list(runs.order_by(*order).values_list("pk", flat=True))


def assert_same(*users) -> None:
    for user in users:
        assert walked(user) == expected(user), user
        assert walked(user, oldest=True) == expected(user, oldest=True), user
    # Every row a walk reads carries its run's start.
    for model in (WorkItem, WorkItemCandidate):
        for started, run_started in model.objects.values_list(
            "instance__started_at", "run_started_at"
        ):
            assert started == run_started


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user
    ann, ben, cid, dee = (make(n) for n in ("ann", "ben", "cid", "dee"))
    Group.objects.create(name="desk").user_set.add(ben, cid)
    return ann, ben, cid, dee


@pytest.fixture
def flow(wm):
    """Assigned by expression, then offered to a group, then offered to a user by name."""
    return deploy(
        [
            {"key": "draft", "kind": "human", "assignee": "data.author"},
            {"key": "check", "kind": "human", "roles": ["desk"]},
            {"key": "sign", "kind": "human", "allowed_users": ["dee"]},
        ],
        ["start>draft", "draft>check", "check>sign", "sign>end"],
        code="inv_flow",
    )


def test_each_writer_keeps_the_walks_equal_to_the_involvement(wm, flow, people):
    ann, ben, cid, dee = people
    quiet = wm.start_run("inv_flow", {"author": "nobody"}, user=None)  # offered to no one
    run = wm.start_run("inv_flow", {"author": "ben"}, user=ann)  # started by ann, ben assigned
    assert walked(ann) == [run.pk] and walked(ben) == [run.pk]
    assert walked(cid) == [] and walked(dee) == []
    assert_same(*people)

    wm.complete(run.workitems.get(activity_key="draft"), user=ben)  # now offered to the desk
    assert walked(cid) == [run.pk]
    assert_same(*people)

    check = run.workitems.get(activity_key="check")
    wm.claim(check, user=cid)
    assert_same(*people)
    wm.release(check, user=cid)
    assert_same(*people)
    wm.claim(check, user=cid)
    wm.delegate(check, to_user=dee, user=cid)  # cid no longer assigned; dee is
    assert_same(*people)
    wm.reassign(check, to_user=ann, user=None)
    assert_same(*people)
    wm.complete(check, user=ann)  # offered to dee by name
    assert walked(dee) == [run.pk]
    assert_same(*people)
    wm.complete(run.workitems.get(activity_key="sign"), user=dee)
    assert_same(*people)
    assert quiet.pk not in walked(ann) + walked(ben) + walked(cid) + walked(dee)


def test_the_walks_stop_at_upto_and_keep_the_list_order(wm, flow, people):
    ann, ben, cid, _ = people
    runs = [wm.start_run("inv_flow", {"author": "ben"}, user=ann) for _ in range(6)]
    for run in runs[:3]:  # ben completes the first three: offered to the desk (cid)
        wm.complete(run.workitems.get(activity_key="draft"), user=ben)
    assert walked(ben, 4) == expected(ben)[:4]
    assert walked(ben, 2, oldest=True) == expected(ben, oldest=True)[:2]
    assert walked(cid) == expected(cid) == [r.pk for r in reversed(runs[:3])]
    assert walked(ann, 3, state="waiting") == expected(ann, state="waiting")[:3]
    assert walked(ann, upto=0) == []


def test_a_moved_run_and_a_deleted_run(wm, flow, people):
    ann, ben, cid, dee = people
    run = wm.start_run("inv_flow", {"author": "ben"}, user=ann)
    wm.complete(run.workitems.get(activity_key="draft"), user=ben)
    gone = wm.start_run("inv_flow", {"author": "cid"}, user=dee)
    source = run.version
    target = deploy(
        [
            {"key": "draft", "kind": "human", "assignee": "data.author"},
            {"key": "check", "kind": "human", "roles": ["desk"]},
            {"key": "sign", "kind": "human", "allowed_users": ["dee"]},
        ],
        ["start>draft", "draft>check", "check>sign", "sign>end"],
        code="inv_flow",
    )
    moving.move_runs(source, target, user=None)
    assert ProcessInstance.objects.get(pk=run.pk).version_id == target.pk
    assert walked(cid) == [gone.pk, run.pk]  # assigned in gone, offered in run
    assert_same(*people)
    gone.delete()
    assert walked(dee) == [] and walked(cid) == [run.pk]
    assert_same(*people)


def tenant_of(who):
    user = getattr(who, "user", who)
    name = user.get_username()
    return {"tenant_id": name.split("-", 1)[0]} if "-" in name else None


def test_the_walks_keep_to_the_persons_tenant(wm, flow, settings, django_user_model):
    settings.WAYMARK_TENANT_RESOLVER = f"{__name__}.tenant_of"
    acme = django_user_model.objects.create_user("acme-ann")
    globex = django_user_model.objects.create_user("globex-gus")
    mine = wm.start_run("inv_flow", {"author": "acme-ann"}, user=None)
    theirs = wm.start_run("inv_flow", {"author": "acme-ann"}, user=None)
    ProcessInstance.objects.filter(pk=mine.pk).update(tenant_id="acme")
    ProcessInstance.objects.filter(pk=theirs.pk).update(tenant_id="globex")
    assert walked(acme) == [mine.pk]
    assert walked(globex) == []
    # A custom tenant filter the walks cannot follow: the caller falls back.
    settings.WAYMARK_TENANT_FILTER = f"{__name__}.no_filter"
    assert permissions.involved_first(acme, 10) is None


def no_filter(queryset, tenant):
    return queryset


def test_the_migration_fills_the_rows_written_before_it(wm, flow, people):
    import importlib

    from django.db import connection

    backfill = importlib.import_module("engine.migrations.0015_involvement").BACKFILL
    ann, ben, *_ = people
    run = wm.start_run("inv_flow", {"author": "ben"}, user=ann)
    wm.complete(run.workitems.get(activity_key="draft"), user=ben)  # an offer to the desk
    WorkItem.objects.update(run_started_at=None)
    WorkItemCandidate.objects.update(run_started_at=None)
    with connection.cursor() as cursor:
        for sql in backfill:
            cursor.execute(sql)
    assert not WorkItem.objects.filter(run_started_at=None).exists()
    assert WorkItemCandidate.objects.exists()
    assert_same(*people)


def test_a_task_and_an_offer_saved_outside_the_walk_still_list_their_run(wm, flow, people):
    # The admin or a data fix saves rows through the model, not the engine's INSERT:
    # without their run's start they would be missing from their people's lists.
    ann, ben, cid, dee = people
    run = wm.start_run("inv_flow", {"author": "nobody"}, user=None)
    task = WorkItem.objects.create(
        instance=run, seq=99, activity_key="sign", activity_kind="human", assignee=dee
    )
    WorkItemCandidate.objects.create(workitem=task, instance=run, user=cid)
    assert walked(dee) == [run.pk] and walked(cid) == [run.pk]
    assert_same(*people)
