"""engine.permissions: the one place API, pages and services ask who may see and do what."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from engine import permissions
from engine.errors import NotAllowed
from engine.services import runtime
from tests.engine.conftest import deploy
from tests.engine.test_workitems import ACTS, EDGES


@pytest.fixture
def review(wm, approvers, bob, carol):
    approvers.user_set.add(bob)
    deploy(ACTS, EDGES, code="expense")
    run = wm.start_run("expense", {"amount": 10})
    return run.workitems.get(activity_key="review")


def grant(user, codename):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)  # a fresh row: Django caches permissions


def test_the_system_sees_every_run_and_an_anonymous_caller_none(review):
    assert list(permissions.visible_runs(None)) == [review.instance]
    assert list(permissions.listed_runs(None)) == [review.instance]
    assert not permissions.visible_runs(AnonymousUser()).exists()


def test_a_candidate_sees_the_run_and_task_an_outsider_does_not(review, bob, carol):
    assert permissions.find_run(bob, review.instance_id) == review.instance
    assert permissions.find_workitem(bob, review.pk) == review
    assert permissions.can_act(bob, review)
    assert permissions.find_run(carol, review.instance_id) is None
    assert permissions.find_workitem(carol, review.pk) is None
    assert not permissions.can_act(carol, review)


def test_run_viewers_see_every_run_but_may_not_manage_it(review, carol):
    viewer = grant(carol, "view_processinstance")
    assert permissions.find_run(viewer, review.instance_id) == review.instance
    assert not permissions.can_manage(viewer)
    with pytest.raises(NotAllowed, match="You may not cancel runs: it needs the 'manage runs'"):
        runtime.cancel_run(review.instance, user=viewer)


def test_an_operator_sees_every_task_and_may_manage_runs(review, carol):
    operator = grant(carol, "manage_runs")
    assert permissions.can_manage(operator)
    assert permissions.find_workitem(operator, review.pk) == review
    permissions.require(operator, permissions.MANAGE_RUNS, "cancel runs")  # no error


def test_a_closed_task_stays_visible_to_the_people_its_activity_named(wm, review, bob, carol):
    manager = grant(carol, "manage_workitems")
    other = type(bob).objects.create_user("olga")
    other.groups.add(*bob.groups.all())
    wm.complete(review, user=manager, outcome="REJECTED")
    # Offers are gone once it closed: the activity's roles still name olga's group.
    found = permissions.find_workitem(other, review.pk)
    assert found == review and not found.is_open
