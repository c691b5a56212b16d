"""PATCH /api/v1/runs/{id}/: change an open run's data (merge or replace), audited."""

from __future__ import annotations

import pytest

from engine.models import AuditEvent
from engine.services import runtime

RUNS = "/api/v1/runs/"


@pytest.fixture
def run(review_process):
    return runtime.start_run("review", {"customer": "ana", "total": 10})


def patch(client, run_id, body):
    return client.patch(f"{RUNS}{run_id}/", body, format="json")


def test_a_merge_sets_the_given_fields_and_keeps_the_others(api, run):
    client = api("op", "manage")
    answer = patch(client, run.pk, {"data": {"total": 12, "note": "fixed"}})
    assert answer.status_code == 200
    assert answer.json()["data"] == {"customer": "ana", "total": 12, "note": "fixed"}
    run.refresh_from_db()
    assert run.data == {"customer": "ana", "total": 12, "note": "fixed"}
    event = AuditEvent.objects.get(instance=run, action="run.data_changed")
    assert event.actor == client.user
    assert event.metadata["changed"] == ["note", "total"]


def test_a_replace_makes_the_data_exactly_what_is_given(api, run):
    answer = patch(api("op", "manage"), run.pk, {"data": {"customer": "bo"}, "mode": "replace"})
    assert answer.status_code == 200
    assert answer.json()["data"] == {"customer": "bo"}
    event = AuditEvent.objects.get(instance=run, action="run.data_changed")
    assert event.metadata["removed"] == ["total"]


def test_declared_fields_are_checked_against_the_input_schema(api, run):
    client = api("op", "manage")
    refused = patch(client, run.pk, {"data": {"customer": 42}})
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"path": "customer", "message": "42 is not of type 'string'"}
    ]
    # A replacement is start data again: a required field cannot go.
    refused = patch(client, run.pk, {"data": {"total": 1}, "mode": "replace"})
    assert refused.status_code == 400
    assert "customer" in refused.json()["detail"]
    run.refresh_from_db()
    assert run.data == {"customer": "ana", "total": 10}
    assert not AuditEvent.objects.filter(action="run.data_changed").exists()


def test_it_needs_manage_runs(api, run):
    starter = api("starter")
    run.started_by = starter.user
    run.save(update_fields=["started_by"])
    refused = patch(starter, run.pk, {"data": {"total": 1}})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert patch(api("stranger"), run.pk, {"data": {"total": 1}}).status_code == 404


def test_a_finished_run_cannot_change(api, run):
    runtime.cancel_run(run)
    refused = patch(api("op", "manage"), run.pk, {"data": {"total": 1}})
    assert refused.status_code == 409
    assert refused.json()["code"] == "run_not_active"


@pytest.mark.parametrize(
    "body,path",
    [
        ({}, "data"),
        ({"data": [1]}, "data"),
        ({"data": {}, "mode": "squash"}, "mode"),
        ({"data": {}, "extra": 1}, "extra"),
    ],
)
def test_bad_bodies_are_400s(api, run, body, path):
    refused = patch(api("op", "manage"), run.pk, body)
    assert refused.status_code == 400
    assert path in {e["path"] for e in refused.json()["errors"]}
