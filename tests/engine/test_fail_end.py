"""Failing on purpose (an end with a reason) and a version's default retry policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from engine.errors import DefinitionFileError, RunNotActive
from engine.models import AuditEvent, Incident, ProcessInstance, RunState, WorkItemState
from engine.services import definitions as svc
from engine.services import versions
from tests.engine.conftest import deploy
from waymark_client import Workflow

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 3, 30, 12, 0, tzinfo=UTC)


class Order(Workflow):
    process_code = "order"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def order(wm):
    """start -> in stock? -> end (completes) | rejected (fails the run with a reason)."""
    return deploy(
        [
            {"key": "check", "kind": "exclusive"},
            {"key": "rejected", "kind": "end", "fail_reason": "Order {data.order} is out of stock"},
        ],
        [
            {"source": "start", "target": "check"},
            {"source": "check", "target": "end", "condition": "data.in_stock == true"},
            {"source": "check", "target": "rejected", "default": True},
        ],
        code="order",
    )


def test_a_failing_end_fails_the_run_for_good_with_its_reason(wm, order):
    run = wm.start_run("order", {"order": 7, "in_stock": False})
    run.refresh_from_db()
    assert run.state == RunState.FAILED_AT_END and run.status == "FAILED"
    assert run.failure_reason == "Order 7 is out of stock"
    assert run.ended_at is not None and run.is_finished and not run.is_active
    assert not Incident.objects.filter(instance=run).exists()  # nothing to retry
    event = AuditEvent.objects.get(instance=run, action="run.failed_at_end")
    assert event.metadata == {"reason": "Order 7 is out of stock", "activity": "rejected"}
    with pytest.raises(RunNotActive):
        wm.cancel_run(run)
    fine = wm.start_run("order", {"order": 8, "in_stock": True})
    fine.refresh_from_db()
    assert fine.state == RunState.COMPLETED and fine.failure_reason == ""


def test_the_run_page_the_api_and_the_client_show_the_reason(wm, order, client, admin_user):
    run = wm.start_run("order", {"order": 7})
    run.refresh_from_db()
    client.force_login(admin_user)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert "Failed (at an end)" in page and "Order 7 is out of stock" in page
    assert "Retry failed steps" not in page and "Cancel run" not in page
    detail = client.get(f"/api/v1/runs/{run.pk}/").json()
    assert (detail["state"], detail["detailed_state"]) == ("FAILED", "failed_at_end")
    assert detail["error"] == "Order 7 is out of stock" and detail["failed_at"] is not None
    assert detail["incidents"] == []
    listed = client.get("/api/v1/runs/?state=failed_at_end").json()["results"]
    assert [r["id"] for r in listed] == [run.pk]
    status = Order(user=admin_user).get_execution_status(run.pk)
    assert (status.state, status.detailed_state) == ("FAILED", "failed_at_end")
    assert status.error == "Order 7 is out of stock" and status.end_time is not None


def test_a_failing_end_closes_the_other_branches(wm, approvers, clock):
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            {"key": "review", "kind": "human", "roles": ["approvers"]},
            {"key": "wait", "kind": "timer", "timer_duration": "1d"},
            {"key": "fail", "kind": "end", "fail_reason": "given up"},
        ],
        ["start>split", "split>review", "split>wait", "review>end", "wait>fail"],
        code="race",
    )
    run = wm.start_run("race")
    clock.shift(timedelta(days=1, seconds=1))
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.FAILED_AT_END and run.failure_reason == "given up"
    review = run.workitems.get(activity_key="review")
    assert review.state == WorkItemState.CANCELLED


def test_a_child_run_that_fails_at_an_end_makes_its_parent_step_fall_out(wm):
    deploy(
        [{"key": "end", "kind": "end", "fail_reason": "child says no"}], ["start>end"], code="kid"
    )
    deploy(
        [{"key": "call", "kind": "subprocess", "subprocess_code": "kid"}],
        ["start>call", "call>end"],
        code="parent",
    )
    parent = wm.start_run("parent")
    child = ProcessInstance.objects.get(process__code="kid")
    parent.refresh_from_db()
    assert child.state == RunState.FAILED_AT_END
    assert parent.state == RunState.FAILED  # an incident: the parent may retry the child
    incident = Incident.objects.get(instance=parent)
    assert "child says no" in incident.message


def test_a_failed_singleton_value_is_free_again(wm):
    version = deploy(
        [{"key": "end", "kind": "end", "fail_reason": "no"}], ["start>end"], code="solo"
    )
    process = version.process
    process.singleton_key = "data.who"
    process.save()
    first = wm.start_run("solo", {"who": "ann"})
    second = wm.start_run("solo", {"who": "ann"})
    assert first.pk != second.pk


def test_a_failing_end_travels_in_files(wm, order):
    exported = svc.export_version(order)
    rejected = next(a for a in exported["activities"] if a["key"] == "rejected")
    assert rejected["fail_reason"] == "Order {data.order} is out of stock"


# Default retry -------------------------------------------------------------------------

RETRY_FILE = """
format: waymark.process/1
process:
  code: retrying
  title: Retrying
  default_retry: {max_attempts: 2, base_delay: 60}
activities:
  - {key: start, kind: start}
  - {key: plain, kind: automatic, handler: test.fail}
  - {key: own, kind: automatic, handler: test.fail, retry: {max_attempts: 4}}
  - {key: end, kind: end}
transitions:
  - {key: t1, source: start, target: plain}
  - {key: t2, source: plain, target: own}
  - {key: t3, source: own, target: end}
"""


def test_a_default_retry_applies_where_an_activity_keeps_the_built_in_values(wm, clock):
    version = svc.import_definition(yaml.safe_load(RETRY_FILE), publish_it=True)
    graph = version.graph()
    assert (
        graph.activity("plain").retry.max_attempts,
        graph.activity("plain").retry.base_delay,
    ) == (
        2,
        60,
    )
    own = graph.activity("own").retry
    assert (own.max_attempts, own.base_delay) == (4, 60)  # its own attempts, the default delay
    run = wm.start_run("retrying")
    step = run.workitems.get(activity_key="plain")
    assert step.state == WorkItemState.RETRY
    assert timedelta(seconds=60) <= step.next_attempt_at - T0 <= timedelta(seconds=66)
    clock.shift(timedelta(seconds=70))
    wm.fire_due()
    step.refresh_from_db()
    assert step.state == WorkItemState.FALLOUT and step.attempts == 2
    assert svc.export_version(version)["process"]["default_retry"] == {
        "max_attempts": 2,
        "base_delay": 60.0,
    }
    draft = versions.clone(version)
    assert draft.default_retry == version.default_retry


def test_a_bad_default_retry_is_refused_with_its_place():
    data = yaml.safe_load(RETRY_FILE)
    data["process"]["default_retry"] = {"max_attempts": 0}
    with pytest.raises(DefinitionFileError) as caught:
        svc.import_definition(data)
    assert "process.default_retry.max_attempts" in str(caught.value.problems)
