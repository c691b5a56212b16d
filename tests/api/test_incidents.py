"""/api/v1/incidents/: list, read, retry and resolve why runs cannot move by themselves."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from engine.models import AuditEvent, Incident, RunState
from tests.engine.conftest import deploy

INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def failed(wm):
    """A run whose step 'charge' fell out (its handler fails until succeed_on)."""
    deploy(
        [
            {
                "key": "charge",
                "kind": "automatic",
                "name": "Charge card",
                "handler": "test.flaky",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start > charge", "charge > end"],
        code="charge",
    )
    run = wm.start_run("charge", {"succeed_on": 2})
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    return run


def test_list_and_read(api, failed):
    client = api("op", "manage")
    [row] = client.get(INCIDENTS).json()["results"]
    incident = Incident.objects.get()
    assert row["id"] == incident.pk
    assert (row["run"], row["process"], row["kind"], row["activity_key"]) == (
        failed.pk,
        "charge",
        "handler",
        "charge",
    )
    assert row["open"] is True and "temporary failure 1" in row["message"]
    detail = client.get(f"{INCIDENTS}{incident.pk}/").json()
    assert "ConnectionError" in detail["traceback"]


def test_filters_ordering_and_bad_parameters(api, failed):
    client = api("op", "manage")
    assert (
        len(client.get(f"{INCIDENTS}?open=true&kind=handler&process=charge").json()["results"]) == 1
    )
    assert client.get(f"{INCIDENTS}?open=false").json()["results"] == []
    assert client.get(f"{INCIDENTS}?run={failed.pk + 1}").json()["results"] == []
    assert client.get(f"{INCIDENTS}?ordering=-id&page_size=1").status_code == 200
    for bad in ("kind=oops", "ordering=message", "page_size=0", "colour=red"):
        answer = client.get(f"{INCIDENTS}?{bad}")
        assert answer.status_code == 400, bad
        assert answer.json()["errors"][0]["path"] == bad.split("=")[0]


def test_retry_runs_the_step_again_and_the_run_goes_on(api, wm, failed):
    client = api("op", "manage")
    incident = Incident.objects.get()
    # Attempts count from 1 again on a retry: fix the data so the handler succeeds.
    fixed = client.patch(f"/api/v1/runs/{failed.pk}/", {"data": {"succeed_on": 1}}, format="json")
    assert fixed.status_code == 200
    answer = wm.run(client.post, f"{INCIDENTS}{incident.pk}/retry/")
    assert answer.status_code == 200
    assert answer.json()["open"] is False
    assert answer.json()["resolved_by"] == "op"
    failed.refresh_from_db()
    assert failed.state == RunState.COMPLETED
    assert failed.data["flaky_done_on"] == 1
    again = client.post(f"{INCIDENTS}{incident.pk}/retry/")
    assert again.status_code == 409


def test_resolve_counts_the_step_as_done_and_routes_on(api, failed):
    client = api("op", "manage")
    incident = Incident.objects.get()
    answer = client.post(
        f"{INCIDENTS}{incident.pk}/resolve/", {"note": "charged by phone"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["open"] is False
    failed.refresh_from_db()
    assert failed.state == RunState.COMPLETED
    assert failed.workitems.get(activity_key="charge").state == "completed"
    event = AuditEvent.objects.get(action="incident.resolved")
    assert event.metadata["note"] == "charged by phone"
    assert event.actor == client.user
    assert client.post(f"{INCIDENTS}{incident.pk}/resolve/").status_code == 409


def test_permissions(api, failed):
    incident = Incident.objects.get()
    viewer = api("viewer")
    viewer.user.user_permissions.add(Permission.objects.get(codename="view_processinstance"))
    viewer.force_authenticate(type(viewer.user).objects.get(pk=viewer.user.pk))
    assert viewer.get(f"{INCIDENTS}{incident.pk}/").status_code == 200
    for action in ("retry", "resolve"):
        refused = viewer.post(f"{INCIDENTS}{incident.pk}/{action}/")
        assert refused.status_code == 403
        assert "manage runs" in refused.json()["detail"]
    stranger = api("stranger")
    assert stranger.get(INCIDENTS).json()["results"] == []
    assert stranger.get(f"{INCIDENTS}{incident.pk}/").status_code == 404
    assert stranger.post(f"{INCIDENTS}{incident.pk}/retry/").status_code == 404
    assert Incident.objects.get().resolved_at is None
