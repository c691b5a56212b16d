"""versions/{n}/triggers/, processes/{code}/pause|resume/, and runs?trigger=."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.models import AuditEvent, ProcessInstance, Trigger
from engine.runtime import timers

pytestmark = pytest.mark.django_db

D = "/api/v1/processes/orders/versions/1"
NIGHTLY = {
    "key": "nightly",
    "kind": "schedule",
    "cron": "30 7 * * *",
    "timezone": "Asia/Tehran",
    "concurrency": "skip",
    "data": {"mode": "nightly"},
}


@pytest.fixture
def designer(api):
    client = api("dee", "publish")
    client.post("/api/v1/processes/", {"code": "orders", "title": "Orders"}, format="json")
    return client


def test_add_list_change_delete_a_trigger_of_a_draft(designer):
    added = designer.post(f"{D}/triggers/", NIGHTLY, format="json")
    assert added.status_code == 201, added.json()
    assert added.json() == {**NIGHTLY, "next_fire_at": None}
    assert [t["key"] for t in designer.get(f"{D}/").json()["triggers"]] == ["nightly"]
    changed = designer.patch(f"{D}/triggers/nightly/", {"cron": "0 8 * * *"}, format="json")
    assert changed.status_code == 200 and changed.json()["cron"] == "0 8 * * *"
    assert designer.delete(f"{D}/triggers/nightly/").status_code == 204
    assert designer.get(f"{D}/triggers/nightly/").status_code == 404
    assert designer.get(f"{D}/triggers/").json()["results"] == []


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"cron": "every day"}, "cron", "invalid cron 'every day'"),
        ({"timezone": "Asia/Nowhere"}, "timezone", "unknown time zone 'Asia/Nowhere'"),
        ({"kind": "model_event"}, "cron", "a model_event trigger has no field 'cron'"),
        ({"concurrency": "queue"}, "concurrency", "concurrency must be 'allow' or 'skip'"),
        ({"key": "no spaces"}, "key", ""),
    ],
)
def test_a_bad_trigger_gets_a_clear_400_and_nothing_is_saved(designer, change, path, message):
    answer = designer.post(f"{D}/triggers/", {**NIGHTLY, **change}, format="json")
    assert answer.status_code == 400, answer.json()
    error = answer.json()["errors"][0]
    assert error["path"] == path
    assert message in error["message"]
    assert not Trigger.objects.exists()


def test_a_published_version_s_triggers_are_frozen_and_armed(designer, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False)
    designer.post(f"{D}/triggers/", NIGHTLY, format="json")
    assert designer.post(f"{D}/publish/", {}, format="json").status_code == 200
    listed = designer.get(f"{D}/triggers/").json()["results"]
    assert listed[0]["next_fire_at"] == "2026-03-21T04:00:00+00:00"
    answer = designer.patch(f"{D}/triggers/nightly/", {"cron": "0 9 * * *"}, format="json")
    assert answer.status_code == 409


def test_pause_and_resume_are_audited_and_stop_the_triggers(designer, wm, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False)
    designer.post(f"{D}/triggers/", {**NIGHTLY, "cron": "0 * * * *"}, format="json")
    designer.post(f"{D}/publish/", {}, format="json")
    paused = designer.post("/api/v1/processes/orders/pause/")
    assert paused.status_code == 200 and paused.json() == {"process": "orders", "paused": True}
    assert designer.get("/api/v1/processes/orders/").json()["paused"] is True
    time_machine.move_to(datetime(2026, 3, 20, 13, 0, tzinfo=UTC), tick=False)
    wm.run(timers.run_loop, poll=0, max_cycles=1)
    assert not ProcessInstance.objects.exists()
    resumed = designer.post("/api/v1/processes/orders/resume/")
    assert resumed.json()["paused"] is False
    time_machine.move_to(datetime(2026, 3, 20, 14, 0, tzinfo=UTC), tick=False)
    wm.run(timers.run_loop, poll=0, max_cycles=1)
    assert ProcessInstance.objects.count() == 1
    events = AuditEvent.objects.filter(action__in=["process.paused", "process.resumed"])
    assert sorted(e.action for e in events) == ["process.paused", "process.resumed"]
    assert {e.actor_name for e in events} == {"dee"}


def test_pausing_needs_the_publish_permission(api, designer):
    viewer = api("val", "design")
    assert viewer.post("/api/v1/processes/orders/pause/").status_code == 403


def test_the_runs_list_filters_by_trigger(api, designer, wm, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False)
    designer.post(f"{D}/triggers/", {**NIGHTLY, "cron": "0 * * * *"}, format="json")
    designer.post(f"{D}/publish/", {}, format="json")
    operator = api("mo", "manage")
    assert operator.post("/api/v1/runs/", {"process": "orders"}, format="json").status_code == 201
    time_machine.move_to(datetime(2026, 3, 20, 13, 0, tzinfo=UTC), tick=False)
    wm.run(timers.run_loop, poll=0, max_cycles=1)
    by_trigger = operator.get("/api/v1/runs/?trigger=nightly").json()["results"]
    assert [r["trigger"] for r in by_trigger] == ["nightly"]
    every = operator.get("/api/v1/runs/?process=orders").json()["results"]
    assert sorted(r["trigger"] for r in every) == ["", "nightly"]


def test_the_diff_lists_trigger_changes(designer):
    designer.post(f"{D}/triggers/", NIGHTLY, format="json")
    designer.post(f"{D}/publish/", {}, format="json")
    designer.post(f"{D}/clone/", {}, format="json")
    v2 = "/api/v1/processes/orders/versions/2"
    designer.patch(f"{v2}/triggers/nightly/", {"timezone": "Europe/Berlin"}, format="json")
    changes = designer.get(f"{v2}/diff/?against=1").json()["changes"]
    [trigger] = [c for c in changes if c["element"] == "trigger"]
    assert (trigger["key"], trigger["change"]) == ("nightly", "changed")
    assert trigger["fields"] == [
        {"field": "timezone", "old": "Asia/Tehran", "new": "Europe/Berlin"}
    ]
