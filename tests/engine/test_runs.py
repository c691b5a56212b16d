"""Starting runs, automatic chains, data validation, run states."""

import pytest

from engine.models import AuditEvent, ProcessInstance, RunState, WorkItem, WorkItemState
from engine.services import definitions
from engine.services.runtime import DataTooLarge, InvalidData, NotPublished, UnknownProcess
from tests.engine.conftest import deploy


def auto(key, handler="test.add_one", **extra):
    return {"key": key, "kind": "automatic", "handler": handler, **extra}


def test_a_chain_of_automatic_steps_runs_to_the_end(wm, calls):
    deploy([auto("a"), auto("b"), auto("c")], ["start>a", "a>b", "b>c", "c>end"], code="chain")
    run = wm.start_run("chain", {"n": 0}, business_key="order-1")
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.data == {"n": 3}
    assert run.result == {"n": 3}
    assert run.status == "SUCCEEDED"
    assert run.business_key == "order-1"
    assert run.ended_at is not None
    keys = list(run.workitems.order_by("seq").values_list("activity_key", "state"))
    assert keys == [
        ("start", "completed"),
        ("a", "completed"),
        ("b", "completed"),
        ("c", "completed"),
        ("end", "completed"),
    ]
    assert [c.attempt for c in calls["test.add_one"]] == [1, 1, 1]
    actions = list(AuditEvent.objects.filter(instance=run).values_list("action", flat=True))
    assert "run.started" in actions and "run.completed" in actions
    assert actions.count("workitem.completed") == 3


def test_handlers_get_the_data_and_a_stable_idempotency_key(wm, calls):
    deploy([auto("a")], ["start>a", "a>end"], code="ctx")
    run = wm.start_run("ctx", {"n": 5})
    ctx = calls["test.add_one"][0]
    item = run.workitems.get(activity_key="a")
    assert ctx.data == {"n": 5}
    assert ctx.instance_id == run.pk and ctx.workitem_id == item.pk
    assert ctx.idempotency_key == item.idempotency_key == f"waymark-{run.pk}-{item.seq}"
    assert ctx.activity_key == "a" and ctx.attempt == 1


def test_start_does_not_run_handlers_before_commit(settings, db, calls):
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    deploy([auto("a")], ["start>a", "a>end"], code="later")
    from engine.services.runtime import start_run

    run = start_run("later", {"n": 1})  # inside the test's transaction: never commits
    assert "test.add_one" not in calls
    item = run.workitems.get(activity_key="a")
    assert item.state == WorkItemState.READY and item.dispatched_at is not None
    assert run.state == RunState.RUNNING


def test_unknown_and_unpublished_processes_are_refused_clearly(wm):
    with pytest.raises(UnknownProcess, match="no process with the code 'nope'"):
        wm.start_run("nope")
    definitions.create_process("draft-only", "Draft only")
    with pytest.raises(NotPublished, match="no published version"):
        wm.start_run("draft-only")
    assert not ProcessInstance.objects.exists()


def test_data_is_validated_against_the_input_schema(wm):
    schema = {
        "type": "object",
        "required": ["amount"],
        "properties": {"amount": {"type": "number", "minimum": 0}},
    }
    deploy([auto("a")], ["start>a", "a>end"], code="schema", input_schema=schema)
    with pytest.raises(InvalidData) as info:
        wm.start_run("schema", {"amount": -3})
    assert info.value.errors[0]["path"] == "amount"
    with pytest.raises(InvalidData) as info:
        wm.start_run("schema", {})
    assert info.value.errors[0]["path"] == "amount"  # the missing field points at itself
    with pytest.raises(InvalidData, match="cannot be stored as JSON"):
        wm.start_run("schema", {"amount": float("nan")})
    with pytest.raises(InvalidData, match="JSON object"):
        wm.start_run("schema", [1, 2])
    assert not ProcessInstance.objects.exists()
    assert wm.start_run("schema", {"amount": 3}).pk


def test_data_size_is_capped(wm, settings):
    settings.WAYMARK_MAX_DATA_BYTES = 100
    deploy([auto("a")], ["start>a", "a>end"], code="big")
    with pytest.raises(DataTooLarge, match="limit is 100"):
        wm.start_run("big", {"text": "x" * 200})
    assert not ProcessInstance.objects.exists()


def test_runs_pin_the_version_they_started_on(wm):
    v1 = deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["bob"]}], ["start>h", "h>end"], code="pin"
    )
    run = wm.start_run("pin")
    v2 = definitions.clone(v1)
    definitions.publish(v2)
    run.refresh_from_db()
    assert run.version_id == v1.pk
    assert wm.start_run("pin").version_id == v2.pk


def test_step_budget_gives_an_incident_not_an_endless_loop(wm, settings):
    settings.WAYMARK_MAX_STEPS_PER_RUN = 20
    deploy(
        [auto("a"), {"key": "x", "kind": "exclusive"}],
        [
            "start>a",
            "a>x",
            {"source": "x", "target": "a", "condition": "instance.data.n < 1000"},
            {"source": "x", "target": "end", "default": True},
        ],
        code="loop",
    )
    run = wm.start_run("loop", {"n": 0})
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    incident = run.incidents.get()
    assert incident.kind == "step_budget" and "20" in incident.message
    assert WorkItem.objects.filter(instance=run, state=WorkItemState.FALLOUT).count() == 1
