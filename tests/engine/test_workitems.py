"""Human tasks: offering, assignment, claim, release, complete, reassign, delegate."""

import pytest

from engine import permissions
from engine.models import AuditEvent, ProcessInstance, RunState, WorkItem, WorkItemState
from engine.services.runtime import Conflict, InvalidData, NotAllowed, RunNotActive
from tests.engine.conftest import deploy

REVIEW = {
    "key": "review",
    "kind": "human",
    "outcomes": ["APPROVED", "REJECTED"],
    "roles": ["approvers"],
    "form_schema": {
        "type": "object",
        "properties": {"comment": {"type": "string", "maxLength": 20}},
    },
}
EDGES = [
    "start>review",
    {"source": "review", "target": "pay", "condition": "eq:APPROVED"},
    {"source": "review", "target": "refused", "condition": "eq:REJECTED"},
    "pay>end",
]
ACTS = [
    REVIEW,
    {"key": "pay", "kind": "automatic", "handler": "test.noop"},
    {"key": "refused", "kind": "end"},
]


@pytest.fixture
def review(wm, approvers, bob, carol):
    approvers.user_set.add(bob)
    deploy(ACTS, EDGES, code="expense")
    run = wm.start_run("expense", {"amount": 10, "manager": "carol"})
    return run.workitems.get(activity_key="review")


def test_a_human_task_is_offered_to_its_roles(review, bob, carol):
    assert review.state == WorkItemState.OFFERED
    assert list(WorkItem.objects.available(bob)) == [review]
    assert not WorkItem.objects.available(carol).exists()
    assert not WorkItem.objects.inbox(bob).exists()
    assert review.instance.state == RunState.WAITING


def test_claim_then_complete_moves_the_run_on(wm, review, bob, calls):
    wm.claim(review, user=bob)
    assert list(WorkItem.objects.inbox(bob)) == [review]
    assert not WorkItem.objects.available(bob).exists()
    wm.complete(review, user=bob, outcome="APPROVED", data={"comment": "fine"})
    review.refresh_from_db()
    run = review.instance
    run.refresh_from_db()
    assert review.state == WorkItemState.COMPLETED
    assert review.completed_by == bob and review.outcome == "APPROVED"
    assert review.form_data == {"comment": "fine"}
    assert run.condition == "APPROVED"
    assert run.data["comment"] == "fine"
    assert run.state == RunState.COMPLETED
    assert len(calls["test.noop"]) == 1
    assert list(WorkItem.objects.done(bob)) == [review]
    actions = set(AuditEvent.objects.filter(workitem=review).values_list("action", flat=True))
    assert {"workitem.created", "workitem.claimed", "workitem.completed"} <= actions


def test_the_outcome_chooses_the_branch(wm, review, bob):
    wm.complete(review, user=bob, outcome="REJECTED")
    run = ProcessInstance.objects.get(pk=review.instance_id)
    assert run.state == RunState.COMPLETED
    assert run.workitems.filter(activity_key="refused").exists()
    assert not run.workitems.filter(activity_key="pay").exists()


def test_completing_an_offered_task_claims_it(wm, review, bob):
    wm.complete(review, user=bob, outcome="APPROVED")
    review.refresh_from_db()
    assert review.assignee == bob and review.completed_by == bob


@pytest.mark.parametrize(
    ("outcome", "data", "message"),
    [
        (None, {}, "Choose an outcome"),
        ("MAYBE", {}, "not an outcome"),
        ("APPROVED", {"comment": "x" * 50}, "form is not valid"),
        ("APPROVED", ["not", "an", "object"], "JSON object"),
    ],
)
def test_bad_outcome_or_form_changes_nothing(wm, review, bob, outcome, data, message):
    before = review.instance.data
    with pytest.raises(InvalidData, match=message):
        wm.complete(review, user=bob, outcome=outcome, data=data)
    review.refresh_from_db()
    assert review.state == WorkItemState.OFFERED
    review.instance.refresh_from_db()
    assert review.instance.data == before


def test_someone_not_offered_the_task_may_not_act(wm, review, carol):
    with pytest.raises(NotAllowed):
        wm.claim(review, user=carol)
    with pytest.raises(NotAllowed):
        wm.complete(review, user=carol, outcome="APPROVED")
    review.refresh_from_db()
    assert review.state == WorkItemState.OFFERED
    assert not review.incidents.exists()
    assert review.instance.state == RunState.WAITING


def test_a_claimed_task_belongs_to_its_assignee(wm, review, bob, carol, approvers):
    approvers.user_set.add(carol)
    wm.claim(review, user=bob)
    with pytest.raises(Conflict, match="already claimed by bob"):
        wm.claim(review, user=carol)
    with pytest.raises(Conflict, match="assigned to bob"):
        wm.complete(review, user=carol, outcome="APPROVED")
    with pytest.raises(NotAllowed):
        wm.release(review, user=carol)
    wm.release(review, user=bob)
    review.refresh_from_db()
    assert review.state == WorkItemState.OFFERED and review.assignee is None
    wm.claim(review, user=carol)


def test_completing_twice_is_a_conflict(wm, review, bob):
    wm.complete(review, user=bob, outcome="APPROVED")
    with pytest.raises(Conflict, match="already completed by bob"):
        wm.complete(review, user=bob, outcome="REJECTED")


def test_a_stale_version_is_a_conflict(wm, review, bob):
    seen = review.lock_version
    wm.claim(review, user=bob)
    with pytest.raises(Conflict, match="changed since you opened it"):
        wm.complete(review, user=bob, outcome="APPROVED", expected_version=seen)


def test_assignee_expression_assigns_directly(wm, carol):
    deploy(
        [{"key": "h", "kind": "human", "assignee": "data.manager", "roles": ["approvers"]}],
        ["start>h", "h>end"],
        code="assigned",
    )
    run = wm.start_run("assigned", {"manager": "carol"})
    item = run.workitems.get(activity_key="h")
    assert item.state == WorkItemState.ASSIGNED and item.assignee == carol
    assert list(WorkItem.objects.inbox(carol)) == [item]
    assert AuditEvent.objects.filter(workitem=item, action="workitem.assigned").exists()


def test_unknown_assignee_falls_back_to_the_offer(wm, bob):
    deploy(
        [{"key": "h", "kind": "human", "assignee": "data.manager", "allowed_users": ["bob"]}],
        ["start>h", "h>end"],
        code="fallback",
    )
    run = wm.start_run("fallback", {"manager": "nobody"})
    item = run.workitems.get(activity_key="h")
    assert item.state == WorkItemState.OFFERED
    assert list(WorkItem.objects.available(bob)) == [item]


def test_allowed_users_and_groups_are_candidates(wm, bob, carol, django_user_model):
    from django.contrib.auth.models import Group

    clerks = Group.objects.create(name="clerks")
    dave = django_user_model.objects.create_user("dave")
    clerks.user_set.add(dave)
    deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["bob"], "allowed_groups": ["clerks"]}],
        ["start>h", "h>end"],
        code="allow",
    )
    item = wm.start_run("allow").workitems.get(activity_key="h")
    assert WorkItem.objects.available(bob).filter(pk=item.pk).exists()
    assert WorkItem.objects.available(dave).filter(pk=item.pk).exists()
    assert not WorkItem.objects.available(carol).exists()
    assert wm.candidates(item) == {"users": ["bob"], "groups": ["clerks"]}


def test_managers_reassign_and_assignees_delegate(wm, review, bob, carol, django_user_model):
    from django.contrib.auth.models import Permission

    boss = django_user_model.objects.create_user("boss")
    boss.user_permissions.add(Permission.objects.get(codename="manage_workitems"))
    boss = django_user_model.objects.get(pk=boss.pk)
    with pytest.raises(NotAllowed):
        wm.reassign(review, carol, user=bob)
    wm.reassign(review, "bob", user=boss)
    review.refresh_from_db()
    assert review.assignee == bob
    with pytest.raises(NotAllowed):
        wm.delegate(review, bob, user=carol)
    wm.delegate(review, carol, user=bob)
    review.refresh_from_db()
    assert review.assignee == carol and review.delegated_by == bob
    wm.complete(review, user=carol, outcome="REJECTED")
    actions = list(AuditEvent.objects.filter(workitem=review).values_list("action", flat=True))
    assert "workitem.reassigned" in actions and "workitem.delegated" in actions


def test_nothing_moves_while_the_run_is_suspended(wm, review, bob):
    wm.suspend_run(review.instance)
    with pytest.raises(RunNotActive, match="suspended"):
        wm.complete(review, user=bob, outcome="APPROVED")
    wm.resume_run(review.instance)
    wm.complete(review, user=bob, outcome="APPROVED")
    review.instance.refresh_from_db()
    assert review.instance.state == RunState.COMPLETED


def test_visible_runs(wm, review, bob, carol, django_user_model):
    assert permissions.visible_runs(bob).filter(pk=review.instance_id).exists()
    assert list(ProcessInstance.objects.involving(bob)) == [review.instance]
    assert not permissions.visible_runs(carol).exists()
    assert not ProcessInstance.objects.involving(carol).exists()
    wm.claim(review, user=bob)
    wm.complete(review, user=bob, outcome="REJECTED")
    assert permissions.visible_runs(bob).count() == 1  # worked on it
    assert ProcessInstance.objects.involving(bob).count() == 1
    root = django_user_model.objects.create_superuser("root2", password=None)
    assert permissions.visible_runs(root).count() == 1
