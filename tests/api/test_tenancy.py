"""Tenants through the API: every list and lookup is scoped; signals, subprocesses and
process codes never cross from one tenant to another."""

from __future__ import annotations

import pytest
from django.test import override_settings

from engine.models import Process, ProcessInstance
from engine.services import definitions, runtime, signals
from tests.engine.conftest import deploy

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


# Signals -------------------------------------------------------------------------------------


def shop(code: str, tenant: str):
    """A published process of ``tenant`` whose runs wait for signal "payment" on data.order."""
    deploy(
        [{"key": "paid", "kind": "signal", "signal_name": "payment", "correlation": "data.order"}],
        ["start > paid", "paid > end"],
        code=code,
    )
    Process.objects.filter(code=code).update(tenant_id=tenant)


def signal_events(client, run) -> list[tuple[str, str]]:
    events = client.get(f"/api/v1/audit/?instance={run.pk}&action=signal.received").json()
    return [
        (e["action"], e["actor"]) for e in events["results"] if e["action"] == "signal.received"
    ]


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_a_signal_reaches_only_the_senders_tenant(api, wm):
    shop("globex_shop", "globex")
    theirs = runtime.start_run("globex_shop", {"order": 42})
    acme = api("acme-max", "manage", "audit")
    answer = acme.post(
        "/api/v1/signals/",
        {"name": "payment", "payload": {"paid": "by acme"}, "correlation": 42},
        format="json",
    )
    assert answer.status_code == 200
    assert answer.json()["woken"] == [] and answer.json()["kept"] is True
    # Kept for acme alone: globex's waiting run and its later ones never take it.
    assert signals.match_pending() == 0
    later = runtime.start_run("globex_shop", {"order": 42})
    for run in (theirs, later):
        run.refresh_from_db()
        assert (run.state, run.data) == ("waiting", {"order": 42})

    globex = api("globex-gil", "manage", "audit")
    answer = globex.post(
        "/api/v1/signals/",
        {"name": "payment", "payload": {"paid": True}, "correlation": 42},
        format="json",
    )
    assert sorted(answer.json()["woken"]) == sorted([theirs.pk, later.pk])
    theirs.refresh_from_db()
    assert (theirs.state, theirs.data) == ("completed", {"order": 42, "paid": True})
    # The audit trail names the person who sent it, not "system".
    assert signal_events(globex, theirs) == [("signal.received", "globex-gil")]

    # acme's own run, started after acme sent the signal, takes the kept one: acme sent it.
    shop("acme_shop", "acme")
    ours = runtime.start_run("acme_shop", {"order": 42})
    ours.refresh_from_db()
    assert (ours.state, ours.data["paid"]) == ("completed", "by acme")
    assert signal_events(acme, ours) == [("signal.received", "acme-max")]


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_a_signal_sent_by_code_reaches_every_tenant_and_is_audited_as_system(api, wm):
    shop("globex_shop", "globex")
    run = runtime.start_run("globex_shop", {"order": 7})
    result = runtime.send_signal("payment", {"paid": True}, correlation=7)
    assert result.woken == [run.pk]
    assert signal_events(api("globex-gil", "audit"), run) == [("signal.received", "system")]


# Subprocesses --------------------------------------------------------------------------------


def caller(code: str, calls: str) -> dict:
    """A definition whose only step is a subprocess calling ``calls``."""
    return {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code},
        "activities": [
            {"key": "start", "kind": "start", "name": "Start"},
            {"key": "sub", "kind": "subprocess", "name": "Sub", "subprocess_code": calls},
            {"key": "end", "kind": "end", "name": "End"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "sub"},
            {"key": "t2", "source": "sub", "target": "end"},
        ],
    }


def waiter(code: str):
    deploy([{"key": "h", "kind": "human", "roles": ["staff"]}], ["start>h", "h>end"], code=code)


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_a_subprocess_cannot_name_another_tenants_process(api, wm):
    waiter("payroll")
    Process.objects.filter(code="payroll").update(tenant_id="globex")
    acme = api("acme-dee", "publish")
    url = "/api/v1/processes/{}/versions/import/?publish=true"
    refused = acme.post(url.format("spy"), caller("spy", "payroll"), format="json")
    unknown = acme.post(url.format("spy"), caller("spy", "no-such-process"), format="json")
    assert refused.status_code == unknown.status_code == 400
    [error] = [e for e in refused.json()["errors"] if e["code"] == "WM121"]
    assert error["message"] == "'Sub': there is no process 'payroll'."
    # Exactly what a code nobody uses gets: nothing tells the process exists elsewhere.
    [other] = [e for e in unknown.json()["errors"] if e["code"] == "WM121"]
    assert other["message"] == "'Sub': there is no process 'no-such-process'."
    assert not Process.objects.filter(code="spy").exists()
    # The same process of one's own tenant is fine.
    globex = api("globex-gil", "publish")
    allowed = globex.post(url.format("boss"), caller("boss", "payroll"), format="json")
    assert allowed.status_code == 201, allowed.json()


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_at_run_time_a_subprocess_starts_only_its_tenants_process(api, wm):
    waiter("payroll")
    definitions.import_definition(caller("spy", "payroll"), publish_it=True)
    Process.objects.filter(code__in=["spy", "payroll"]).update(tenant_id="acme")
    acme = api("acme-max", "manage")
    own = acme.post("/api/v1/runs/", {"process": "spy"}, format="json")
    child = ProcessInstance.objects.get(parent_workitem__instance_id=own.json()["id"])
    assert child.tenant_id == "acme"  # the child carries its parent's tenant
    assert acme.get(f"/api/v1/runs/{child.pk}/").status_code == 200
    assert api("globex-gil", "manage").get(f"/api/v1/runs/{child.pk}/").status_code == 404

    # An administrator moves payroll to globex: acme's published caller may no longer start it.
    Process.objects.filter(code="payroll").update(tenant_id="globex")
    started = acme.post("/api/v1/runs/", {"process": "spy"}, format="json")
    run = acme.get(f"/api/v1/runs/{started.json()['id']}/").json()
    assert run["state"] == "FAILED"
    [incident] = run["incidents"]
    assert incident["kind"] == "subprocess"
    assert incident["message"] == (
        "There is no process 'payroll' in this run's tenant to start as a subprocess; "
        "a subprocess starts only its own tenant's processes."
    )
    assert ProcessInstance.objects.filter(process__code="payroll").count() == 1


# Process codes -------------------------------------------------------------------------------


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_a_taken_code_gets_one_answer_whoever_holds_it(api, db):
    globex = api("globex-dee", "design")
    acme = api("acme-dee", "design")
    first = globex.post("/api/v1/processes/", {"code": "payroll", "title": "P"}, format="json")
    assert first.status_code == 201
    answers = [
        client.post("/api/v1/processes/", {"code": "payroll", "title": "Again"}, format="json")
        for client in (acme, globex)
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["errors"] == [
        {"path": "code", "message": "This code is not available: choose another."}
    ]
    assert "globex" not in answers[0].content.decode()
    assert Process.objects.get(code="payroll").tenant_id == "globex"
