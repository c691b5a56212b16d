"""signals/: wake waiting runs, keep signals nobody waits for; permissions and bad input."""

from __future__ import annotations

import pytest

from engine.models import PendingSignal, ProcessInstance
from engine.services import runtime
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_run(wm):
    deploy(
        [{"key": "paid", "kind": "signal", "signal_name": "payment", "correlation": "data.order"}],
        ["start > paid", "paid > end"],
        code="shop",
    )
    return runtime.start_run("shop", {"order": 42})


def test_a_signal_wakes_the_run_it_correlates_with(api, waiting_run):
    answer = api("max", "manage").post(
        "/api/v1/signals/",
        {"name": "payment", "payload": {"paid": True}, "correlation": 42},
        format="json",
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "woken": [waiting_run.pk],
        "started": [],
        "kept": False,
        "pending_signal": None,
    }
    waiting_run.refresh_from_db()
    assert (waiting_run.status, waiting_run.data["paid"]) == ("SUCCEEDED", True)


def test_a_signal_nobody_waits_for_is_kept(api, waiting_run):
    answer = api("max", "manage").post(
        "/api/v1/signals/", {"name": "payment", "correlation": "7"}, format="json"
    )
    assert answer.json()["kept"] is True
    assert answer.json()["pending_signal"] == PendingSignal.objects.get().pk
    waiting_run.refresh_from_db()
    assert waiting_run.state == "waiting"


def test_sending_needs_manage_runs(api, waiting_run):
    answer = api("pat").post(
        "/api/v1/signals/", {"name": "payment", "correlation": 42}, format="json"
    )
    assert answer.status_code == 403
    assert ProcessInstance.objects.get().state == "waiting"


@pytest.mark.parametrize(
    "body, path",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "payment", "payload": [1]}, "payload"),
        ({"name": "payment", "correlation": {"a": 1}}, "correlation"),
        ({"name": "payment", "correlation": True}, "correlation"),
    ],
)
def test_bad_signals_say_where(api, waiting_run, body, path):
    answer = api("max", "manage").post("/api/v1/signals/", body, format="json")
    assert answer.status_code == 400
    assert path in [e["path"] for e in answer.json()["errors"]]
    assert not PendingSignal.objects.exists()
