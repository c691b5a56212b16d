"""A project coming from GoFlow2: its settings, commands, handlers and payload keep working."""

from __future__ import annotations

import io

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from engine.handlers import handler
from engine.models import Activity, AuditEvent, Transition, WorkItemState
from engine.runtime import compensation
from engine.webhooks.body import event_body
from tests.engine.conftest import deploy

GOFLOW_CALLS: list = []


@handler("goflow.refund")
def compensate_refund(workitem, reason=None):
    GOFLOW_CALLS.append((workitem.pk, workitem.activity_key, reason))
    return True


@handler("goflow.refuses")
def compensate_refuses(workitem, reason=None):
    GOFLOW_CALLS.append((workitem.pk, "refused", reason))
    return False


def _ids(messages) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in messages:
        if message.id and message.id.startswith("waymark.W10"):
            found.setdefault(message.id, []).append(message.msg)
    return found


def test_goflow_audit_off_is_honoured_and_check_names_the_new_setting(wm, settings):
    settings.GOFLOW_AUDIT_ENABLED = False
    version = deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}], ["start>a", "a>end"]
    )
    before = AuditEvent.objects.count()
    run = wm.start_run(version.process.code)
    run.refresh_from_db()
    assert run.state == "completed"
    assert AuditEvent.objects.count() == before  # no run.started, no workitem events
    (warning,) = _ids(run_checks())["waymark.W101"]
    assert "GOFLOW_AUDIT_ENABLED" in warning and "WAYMARK_AUDIT_ENABLED" in warning


def test_every_documented_goflow_setting_is_mapped_and_reported(settings):
    from engine.conf import waymark_setting

    settings.GOFLOW_SCHEDULER_BACKEND = "goflow.runtime.scheduler.CronSchedulerBackend"
    settings.GOFLOW_SLA_AUTO_ASSIGN = True
    settings.GOFLOW_WEBHOOK_TIMEOUT = 9
    settings.GOFLOW_CONDITION_STRATEGY = "strict"
    assert waymark_setting("SCHEDULER_BACKEND") == "cron"
    assert waymark_setting("SLA_AUTO_ASSIGN") is True
    assert waymark_setting("WEBHOOK_TIMEOUT") == 9
    assert waymark_setting("CONDITION_STRATEGY") == "strict"
    found = _ids(run_checks())["waymark.W101"]
    assert any("WAYMARK_SCHEDULER_BACKEND = 'cron'" in text for text in found)
    assert len(found) == 4


def test_waymark_setting_wins_and_unknown_goflow_settings_are_named(settings):
    from engine.conf import waymark_setting

    settings.GOFLOW_SLA_NOTIFY = False
    settings.WAYMARK_SLA_NOTIFY = True
    settings.GOFLOW_SOMETHING_ELSE = 1
    assert waymark_setting("SLA_NOTIFY") is True
    found = _ids(run_checks())
    assert "WAYMARK_SLA_NOTIFY is set too" in found["waymark.W102"][0]
    assert "GOFLOW_SOMETHING_ELSE" in found["waymark.W103"][0]


def test_without_goflow_settings_nothing_is_said():
    assert _ids(run_checks()) == {}


def test_goflow_command_names_run_the_waymark_commands(wm):
    out = io.StringIO()
    wm.run(call_command, "goflow_cron", stdout=out)
    assert "timers fired: 0" in out.getvalue()
    out = io.StringIO()
    call_command("goflow_webhook_test", "--action", "test.ping", stdout=out)
    assert "No enabled webhook endpoints" in out.getvalue()


@pytest.mark.parametrize(("name", "done"), [("goflow.refund", True), ("goflow.refuses", False)])
def test_a_goflow_compensation_handler_gets_the_workitem_and_reason(wm, name, done):
    GOFLOW_CALLS.clear()
    deploy(
        [
            {
                "key": "charge",
                "kind": "automatic",
                "handler": "test.fail",
                "compensation_handler": name,
                "retry": {"max_attempts": 1},
            }
        ],
        ["start>charge", "charge>end"],
        code="refund",
    )
    run = wm.start_run("refund")
    item = run.workitems.get(activity_key="charge")
    assert item.state == WorkItemState.FALLOUT
    assert compensation.compensate_workitem(item.pk) is done
    ((pk, what, reason),) = GOFLOW_CALLS
    assert pk == item.pk and "boom on attempt 1" in reason
    item.refresh_from_db()
    if done:
        assert what == "charge" and item.compensated_at is not None
        assert AuditEvent.objects.filter(action="workitem.compensated", workitem=item).exists()
    else:
        assert item.compensated_at is None
        failed = AuditEvent.objects.get(action="workitem.compensation_failed", workitem=item)
        assert "returned False" in failed.metadata["error"]


def test_the_webhook_body_carries_goflow_ids_as_numbers(wm):
    version = deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}], ["start>a", "a>end"]
    )
    run = wm.start_run(version.process.code)
    completed = AuditEvent.objects.get(instance=run, action="workitem.completed")
    body = event_body(completed)
    assert body["activity_id"] == Activity.objects.get(version=version, key="a").pk
    assert body["activity"] == "a" and body["workitem_id"] == completed.workitem_id
    transition = Transition.objects.get(version=version, source__key="a")
    timed_out = AuditEvent.objects.create(
        action="workitem.timed_out", version=version, transition_key=transition.key
    )
    assert event_body(timed_out)["transition_id"] == transition.pk
    assert event_body(timed_out)["activity_id"] is None
    goflow_keys = {
        "id", "action", "created_at", "actor_id", "process_id", "instance_id", "workitem_id",
        "activity_id", "transition_id", "status_from", "status_to", "metadata",
    }  # fmt: skip
    assert goflow_keys <= set(body)


def test_the_import_command_says_drawings_are_export_only(db, tmp_path):
    from django.core.management import CommandError

    drawing = tmp_path / "review.dot"
    drawing.write_text("digraph review { start -> end }")
    with pytest.raises(CommandError, match="DOT and SVG are export-only"):
        call_command("import_process", str(drawing))


def test_a_service_call_without_a_code_takes_the_slug_of_the_title(db):
    from engine.services import definitions

    process = definitions.create_process("", "  Vendor Onboarding v2 ")
    assert process.code == "vendor-onboarding-v2"
    assert process.versions.get().number == 1


@pytest.mark.parametrize(
    ("text", "drawing"),
    [
        ('<?xml version="1.0"?>\n<!-- Graphviz -->\n<svg width="8pt"></svg>', True),
        ("\ufeffdigraph { a -> b }", True),
        ('<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN"/>', False),
        ("graph: [unclosed", False),
    ],
)
def test_only_drawings_are_called_export_only(text, drawing):
    from engine.definition_format import DefinitionFileError, parse_text

    with pytest.raises(DefinitionFileError) as raised:
        parse_text(text)
    assert ("export-only" in str(raised.value.problems)) is drawing
