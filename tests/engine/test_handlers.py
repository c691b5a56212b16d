"""The handler registry and contract, and what the engine does with bad handlers."""

import threading

import pytest

from engine.handlers import HandlerResult, UnknownHandler, as_result, exists, handler, resolve
from engine.models import IncidentKind, RunState, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import timers, worker
from tests.engine.conftest import deploy


def test_registered_names_and_settings_resolve_anything_else_is_unknown(settings):
    @handler("test.registered")
    def registered(ctx):
        return None

    assert resolve("test.registered") is registered
    settings.WAYMARK_HANDLERS = {"by.setting": "tests.engine.durable_handlers.step"}
    assert resolve("by.setting").__name__ == "step"
    assert exists("by.setting") and exists("test.registered")
    # A dotted path is not a name: it is never imported, even when it would import.
    assert not exists("tests.engine.durable_handlers.hang_once")
    assert not exists("no.such.module.function")
    for name in ("plainname", "tests.engine.durable_handlers.hang_once"):
        with pytest.raises(UnknownHandler, match=f"handler '{name}' is not registered"):
            resolve(name)


@pytest.mark.parametrize(
    ("value", "data", "outcome"),
    [
        (None, {}, None),
        ({"a": 1}, {"a": 1}, None),
        (HandlerResult({"b": 2}, outcome="OK"), {"b": 2}, "OK"),
        (HandlerResult(outcome="ONLY"), {}, "ONLY"),
    ],
)
def test_as_result(value, data, outcome):
    result = as_result(value)
    assert (result.data, result.outcome) == (data, outcome)


def test_as_result_refuses_other_values():
    with pytest.raises(TypeError, match="not list"):
        as_result([1, 2])


@handler("test.returns_junk")
def returns_junk(ctx):
    return 42


@handler("test.returns_unserializable")
def returns_unserializable(ctx):
    return {"x": object()}


@pytest.mark.parametrize("name", ["test.returns_junk", "test.returns_unserializable", "nope"])
def test_bad_handlers_fall_out_with_a_clear_error(wm, name):
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}],
        ["start>a", "a>end"],
        code="bad",
    )
    # Swap the handler behind the published version's back (as a broken deploy would).
    from engine.models import Activity

    Activity.objects.filter(key="a").update(handler=name, retry_max_attempts=1)
    clear_graph_cache()
    run = wm.start_run("bad")
    run.refresh_from_db()
    item = run.workitems.get(activity_key="a")
    assert item.state == WorkItemState.FALLOUT and run.state == RunState.FAILED
    assert run.incidents.get().kind == IncidentKind.HANDLER
    assert item.error


def test_an_engine_error_while_recording_becomes_an_incident(wm, monkeypatch):
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}],
        ["start>a", "a>end"],
        code="oops",
    )

    def broken(*args, **kwargs):
        raise ValueError("bug in the engine")

    monkeypatch.setattr(worker, "_record_success", broken)
    run = wm.start_run("oops")
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    incident = run.incidents.get()
    assert incident.kind == IncidentKind.ENGINE and "bug in the engine" in incident.message


def test_the_timer_loop_fires_due_timers_and_stops(wm, time_machine):
    from datetime import UTC, datetime, timedelta

    time_machine.move_to(datetime(2030, 1, 1, tzinfo=UTC), tick=False)
    deploy(
        [{"key": "w", "kind": "timer", "timer_duration": "1s"}], ["start>w", "w>end"], code="loop"
    )
    run = wm.start_run("loop")
    assert timers.next_due_in() == 1.0
    time_machine.shift(timedelta(seconds=2))
    assert timers.next_due_in() == 0.0
    wm.run(timers.run_loop, poll=0.01, max_cycles=1)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert timers.next_due_in() is None
    stop = threading.Event()
    stop.set()
    timers.run_loop(poll=0.01, stop=stop)  # returns at once when told to stop
