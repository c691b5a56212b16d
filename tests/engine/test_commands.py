"""The management commands: thin wrappers printing one line."""

import pytest
from django.core.management import CommandError, call_command

from engine.models import ProcessInstance, RunState
from tests.engine.conftest import deploy


@pytest.fixture
def process(wm):
    deploy(
        [{"key": "wait", "kind": "signal", "signal_name": "go", "correlation": "data.id"}],
        ["start>wait", "wait>end"],
        code="cmd",
    )


def test_start_run_and_send_signal(process, capsys, wm):
    wm.run(call_command, "start_run", "cmd", "--data", '{"id": 3}', "--business-key", "B3")
    out = capsys.readouterr().out
    run = ProcessInstance.objects.get()
    assert f"Started run {run.pk} of cmd v1: waiting" in out
    assert run.business_key == "B3"
    wm.run(call_command, "send_signal", "go", "--correlation", "3", "--payload", '{"x": 1}')
    assert f"woke run(s) {run.pk}" in capsys.readouterr().out
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data == {"id": 3, "x": 1}


def test_command_errors_are_clear(process, wm):
    with pytest.raises(CommandError, match="no process with the code"):
        call_command("start_run", "nope")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("start_run", "cmd", "--data", "{")


def test_run_scans_and_timer_loop_once(process, capsys, wm):
    wm.run(call_command, "run_scans")
    assert "timers fired: 0" in capsys.readouterr().out
    wm.run(call_command, "waymark_timers", "--once")
    assert "timer loop stopped" in capsys.readouterr().out


def test_simulate_runs(process, capsys, wm):
    wm.run(call_command, "simulate_runs", "cmd", "-n", "5", "--data", '{"id": 1}')
    assert "Started 5 runs of cmd" in capsys.readouterr().out
    assert ProcessInstance.objects.count() == 5
