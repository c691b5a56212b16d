"""Tenants through the API: every list and lookup of runs, tasks and audit events is scoped."""

from __future__ import annotations

import pytest
from django.test import override_settings

from engine.models import Process, ProcessInstance
from engine.services import runtime

pytestmark = pytest.mark.django_db


def tenant_of(who):
    user = getattr(who, "user", who)
    return {"tenant_id": user.get_username().split("-")[0]}


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_another_tenants_runs_tasks_and_events_do_not_exist(api, approvers, review_process):
    Process.objects.filter(code="review").update(tenant_id="globex")
    run = runtime.start_run("review", {"customer": "g"})
    assert run.tenant_id == "globex"
    task = run.workitems.get(activity_key="review")
    acme = api("acme-root", "manage", "workitems", "audit", groups=[approvers])
    assert acme.get("/api/v1/runs/").json()["count"] == 0
    assert acme.get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert acme.post(f"/api/v1/runs/{run.pk}/cancel/").status_code == 404
    assert acme.get("/api/v1/workitems/?box=available").json()["count"] == 0
    assert acme.get(f"/api/v1/workitems/{task.pk}/").status_code == 404
    assert acme.post(f"/api/v1/workitems/{task.pk}/claim/").status_code == 404
    assert acme.get(f"/api/v1/audit/?instance={run.pk}").json()["count"] == 0
    run.refresh_from_db()
    assert run.state == "waiting"
    globex = api("globex-root", "manage", "workitems", "audit", groups=[approvers])
    assert globex.get(f"/api/v1/runs/{run.pk}/").status_code == 200
    assert globex.get("/api/v1/workitems/?box=available").json()["count"] == 1
    assert globex.get(f"/api/v1/audit/?instance={run.pk}").json()["count"] > 0
    started = globex.post(
        "/api/v1/runs/", {"process": "review", "data": {"customer": "h"}}, format="json"
    )
    assert ProcessInstance.objects.get(pk=started.json()["id"]).tenant_id == "globex"
