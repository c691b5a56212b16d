"""Only registered handlers run: what a definition names is looked up, never imported."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from engine import handlers
from engine.handlers import handler
from engine.models import AuditEvent, IncidentKind, RunState, Version, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import compensation
from engine.services import definitions
from tests.engine.conftest import deploy

SENTINEL = "tests.engine.handler_sentinel"
NOT_HANDLERS = ["sys.exit", "dataclasses.asdict", "os.system", f"{SENTINEL}.run"]


@pytest.fixture(autouse=True)
def sentinel_never_imported():
    assert SENTINEL not in sys.modules
    yield
    assert SENTINEL not in sys.modules, "a handler named by a definition was imported"


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry for the test: its registrations are dropped afterwards."""
    monkeypatch.setattr(handlers, "_registry", dict(handlers._registry))
    return handlers._registry


@handler("test.exits")
def exits(ctx):
    sys.exit(3)


@handler("test.interrupted")
def interrupted(ctx):
    raise KeyboardInterrupt


@pytest.mark.parametrize("name", NOT_HANDLERS)
def test_an_importable_callable_is_not_a_handler_and_blocks_publishing(db, name):
    with pytest.raises(definitions.ValidationFailed) as refused:
        deploy([{"key": "a", "kind": "automatic", "handler": name}], ["start>a", "a>end"])
    (problem,) = [p for p in refused.value.problems if p.code == "WM114"]
    assert problem.key == "a" and problem.severity == "error"
    assert f"the handler {name!r} is not registered" in problem.message
    assert "WAYMARK_HANDLER_MODULES" in problem.hint
    assert not Version.objects.exists()  # the import wrote nothing


def test_an_unregistered_compensation_handler_blocks_publishing(db):
    with pytest.raises(definitions.ValidationFailed, match="compensation handler 'os.system'"):
        deploy(
            [
                {
                    "key": "a",
                    "kind": "automatic",
                    "handler": "test.noop",
                    "compensation_handler": "os.system",
                }
            ],
            ["start>a", "a>end"],
        )


def test_validating_a_draft_imports_nothing(db):
    process = definitions.create_process("drafty", "Drafty")
    draft = process.versions.get()
    definitions.add_activity(draft, "automatic", key="a", handler=f"{SENTINEL}.run")
    messages = [p.message for p in definitions.validate_version(draft) if p.key == "a"]
    assert any(f"'{SENTINEL}.run' is not registered" in m for m in messages)


def test_a_published_handler_no_longer_registered_falls_out_with_an_incident(wm, registry):
    registry["test.retired"] = lambda ctx: {"ran": True}
    deploy(
        [
            {
                "key": "a",
                "kind": "automatic",
                "name": "Charge",
                "handler": "test.retired",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start>a", "a>end"],
        code="retired",
    )
    del registry["test.retired"]  # a deploy removed it after the version was published
    clear_graph_cache()
    run = wm.start_run("retired")
    run.refresh_from_db()
    item = run.workitems.get(activity_key="a")
    assert item.state == WorkItemState.FALLOUT and run.state == RunState.FAILED
    incident = run.incidents.get()
    assert incident.kind == IncidentKind.HANDLER
    assert "handler 'test.retired' is not registered" in incident.message
    assert "ran" not in run.data


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("test.exits", "SystemExit: the handler called sys.exit(3)"),
        ("test.interrupted", "KeyboardInterrupt"),
    ],
)
def test_a_handler_that_exits_fails_its_attempts_then_ends_in_an_incident(
    wm, time_machine, name, error
):
    time_machine.move_to(datetime(2030, 1, 1, tzinfo=UTC), tick=False)
    deploy(
        [
            {
                "key": "a",
                "kind": "automatic",
                "name": "Leave",
                "handler": name,
                "retry": {"max_attempts": 2, "base_delay": 10},
            }
        ],
        ["start>a", "a>end"],
        code="quitter",
    )
    run = wm.start_run("quitter")  # the worker (this test process) survives the exit
    item = run.workitems.get(activity_key="a")
    assert item.state == WorkItemState.RETRY and item.attempts == 1
    assert item.error.startswith(error)
    time_machine.shift(timedelta(seconds=20))
    assert wm.fire_due() == 1
    item.refresh_from_db()
    run.refresh_from_db()
    assert item.state == WorkItemState.FALLOUT and item.attempts == 2
    assert run.state == RunState.FAILED
    incident = run.incidents.get()
    assert incident.kind == IncidentKind.HANDLER
    assert "'Leave' failed 2 time(s)" in incident.message and error in incident.message


def test_a_compensation_handler_that_exits_is_recorded_as_failed(wm):
    deploy(
        [
            {
                "key": "a",
                "kind": "automatic",
                "handler": "test.fail",
                "compensation_handler": "test.exits",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start>a", "a>end"],
        code="undo",
    )
    run = wm.start_run("undo")
    item = run.workitems.get(activity_key="a")
    assert item.state == WorkItemState.FALLOUT
    assert compensation.compensate_workitem(item.pk) is False
    failed = AuditEvent.objects.get(action="workitem.compensation_failed", workitem=item)
    assert "sys.exit(3)" in failed.metadata["error"]
    item.refresh_from_db()
    assert item.compensated_at is None


def test_modules_listed_by_the_administrator_register_their_handlers(
    wm, settings, registry, monkeypatch
):
    monkeypatch.delitem(sys.modules, "tests.engine.listed_handlers", raising=False)
    assert not handlers.exists("listed.greet")
    settings.WAYMARK_HANDLER_MODULES = ["tests.engine.listed_handlers"]
    assert handlers.load_modules() == []  # what EngineConfig.ready() does at start-up
    assert "listed.greet" in handlers.registered()
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "listed.greet"}],
        ["start>a", "a>end"],
        code="greet",
    )
    run = wm.start_run("greet", {"name": "Ada"})
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["greeting"] == "hello Ada"


def test_the_system_check_reports_handler_settings_that_do_not_import(settings):
    settings.WAYMARK_HANDLER_MODULES = ["tests.engine.no_such_handlers"]
    settings.WAYMARK_HANDLERS = {
        "gone": "tests.engine.no_such_handlers.charge",
        "data": "engine.conf.DEFAULTS",
    }
    with pytest.raises(SystemCheckError) as failed:
        call_command("check")
    report = str(failed.value)
    assert "waymark.E010" in report
    assert "WAYMARK_HANDLER_MODULES: tests.engine.no_such_handlers cannot be imported" in report
    assert "WAYMARK_HANDLERS['gone'] = 'tests.engine.no_such_handlers.charge'" in report
    assert "WAYMARK_HANDLERS['data'] = 'engine.conf.DEFAULTS' is not callable" in report


def test_the_system_check_accepts_good_handler_settings(settings, registry):
    settings.WAYMARK_HANDLER_MODULES = ["tests.engine.listed_handlers"]
    settings.WAYMARK_HANDLERS = {"durable": "tests.engine.durable_handlers.step"}
    assert not [m for m in run_checks() if m.id == "waymark.E010"]
