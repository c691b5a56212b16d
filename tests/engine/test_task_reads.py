"""What a completion reads with its task instead of asking separately (issue 16).

A human task is re-read under its run's lock together with whether it is
offered to the person, whether it has offers, and whether another workitem of
the run is open; a new run's walk knows its workitems. These tests hold the
behaviour a person sees to what the separate queries gave.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from engine.models import RunState, WorkItemState
from engine.services.runtime import Conflict, NotAllowed
from tests.engine.conftest import deploy


@pytest.fixture
def offers(db, bob, carol):
    Group.objects.create(name="tr-approvers").user_set.add(carol)
    deploy(
        [
            {"key": "by_name", "kind": "human", "allowed_users": ["bob"]},
            {"key": "by_group", "kind": "human", "roles": ["tr-approvers"]},
        ],
        ["start>by_name", "by_name>by_group", "by_group>end"],
        code="tr_offers",
    )


def test_candidates_by_name_and_by_group_act_and_nobody_else(wm, offers, bob, carol):
    run = wm.start_run("tr_offers")
    by_name = run.workitems.get(activity_key="by_name")
    with pytest.raises(NotAllowed):
        wm.claim(by_name, user=carol)
    with pytest.raises(NotAllowed):
        wm.complete(by_name, user=carol)
    wm.complete(by_name, user=bob)
    by_group = run.workitems.get(activity_key="by_group")
    with pytest.raises(NotAllowed):
        wm.complete(by_group.pk, user=bob)
    wm.claim(by_group, user=carol)
    wm.release(by_group, user=carol)  # it has offers: it goes back to them
    wm.complete(by_group.pk, user=carol)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.workitems.get(activity_key="by_group").completed_by == carol


def test_a_task_without_offers_cannot_be_released(wm, bob):
    deploy(
        [{"key": "mine", "kind": "human", "assignee": "data.user"}],
        ["start>mine", "mine>end"],
        code="tr_assigned",
    )
    run = wm.start_run("tr_assigned", {"user": "bob"})
    task = run.workitems.get(activity_key="mine")
    assert task.state == WorkItemState.ASSIGNED
    with pytest.raises(Conflict, match="offered to nobody else"):
        wm.release(task, user=bob)


def test_a_completion_beside_an_open_branch_leaves_the_run_waiting(wm, bob):
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            {"key": "left", "kind": "human", "assignee": "data.user"},
            {"key": "right", "kind": "human", "assignee": "data.user"},
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", "split>left", "split>right", "left>join", "right>join", "join>end"],
        code="tr_branches",
    )
    run = wm.start_run("tr_branches", {"user": "bob"})
    assert run.state == RunState.WAITING
    # The start workitem and the split went in with the first task, in visit order.
    assert list(run.workitems.order_by("pk").values_list("activity_key", flat=True)) == [
        "start",
        "split",
        "left",
        "right",
    ]
    wm.complete(run.workitems.get(activity_key="left"), user=bob)
    run.refresh_from_db()
    assert run.state == RunState.WAITING
    wm.complete(run.workitems.get(activity_key="right"), user=bob)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def test_a_new_run_that_cannot_route_fails_with_its_incident(wm):
    deploy(
        [
            {"key": "choose", "kind": "exclusive"},
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
        ],
        [
            "start>choose",
            {"source": "choose", "target": "a", "condition": "instance.data.go == 1"},
            "a>end",
        ],
        code="tr_stuck",
    )
    run = wm.start_run("tr_stuck", {"go": 2})
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    choose = run.workitems.get(activity_key="choose")
    assert choose.state == WorkItemState.FALLOUT
    assert choose.incidents.count() == 1


def test_offers_to_names_and_to_a_group_that_does_not_exist_yet(wm, bob, carol):
    from engine.services.runtime import candidates

    Group.objects.create(name="tr-known").user_set.add(carol)
    deploy(
        [
            {
                "key": "both",
                "kind": "human",
                "allowed_users": ["bob", "nobody-by-this-name"],
                "roles": ["tr-known", "tr-new"],
            }
        ],
        ["start>both", "both>end"],
        code="tr_both",
    )
    run = wm.start_run("tr_both")
    task = run.workitems.get(activity_key="both")
    assert candidates(task) == {"users": ["bob"], "groups": ["tr-known", "tr-new"]}
    assert Group.objects.filter(name="tr-new").exists()
    offers = task.candidates.all()
    assert {o.created_at for o in offers} == {task.created_at}
    assert {o.instance_id for o in offers} == {run.pk}
    wm.claim(task, user=carol)  # through the group
    wm.release(task, user=carol)
    wm.complete(task, user=bob)  # by name
    assert not task.candidates.exists()


def test_the_assignee_expression_names_an_active_user_or_the_task_is_offered(wm, bob, carol):
    carol.is_active = False
    carol.save()
    deploy(
        [{"key": "mine", "kind": "human", "assignee": "data.user", "allowed_users": ["bob"]}],
        ["start>mine", "mine>end"],
        code="tr_assignee",
    )
    states = {}
    for name in ("bob", "carol", "nobody-by-this-name"):
        run = wm.start_run("tr_assignee", {"user": name})
        task = run.workitems.get(activity_key="mine")
        states[name] = (task.state, task.assignee_id)
    assert states == {
        "bob": (WorkItemState.ASSIGNED, bob.pk),
        "carol": (WorkItemState.OFFERED, None),
        "nobody-by-this-name": (WorkItemState.OFFERED, None),
    }
