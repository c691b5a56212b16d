"""audit/: filters, and only the events of runs one may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from engine.models import AuditEvent

pytestmark = pytest.mark.django_db


def start(client, key):
    body = {"process": "review", "data": {"customer": "c"}, "business_key": key}
    return client.post("/api/v1/runs/", body, format="json").json()["id"]


def test_filters(api, review_process):
    manager = api("max", "audit")
    ana = api("ana")
    first, second = start(ana, "a"), start(manager, "b")
    url = "/api/v1/audit/"
    started = manager.get(f"{url}?action=run.started").json()
    assert {e["instance"] for e in started["results"]} == {first, second}
    assert (
        manager.get(f"{url}?action=run.started&actor=ana").json()["results"][0]["instance"] == first
    )
    of_second = manager.get(f"{url}?instance={second}").json()["results"]
    assert {e["action"] for e in of_second} >= {"run.started", "workitem.created"}
    assert all(e["instance"] == second for e in of_second)
    prefix = manager.get(f"{url}?action=version.").json()["results"]
    assert {e["action"] for e in prefix} >= {"version.published"}
    assert all(
        e["process"] == "review" for e in manager.get(f"{url}?process=review").json()["results"]
    )
    workitem = of_second[0]["workitem"] or next(e["workitem"] for e in of_second if e["workitem"])
    assert all(
        e["workitem"] == workitem
        for e in manager.get(f"{url}?workitem={workitem}").json()["results"]
    )
    future = (timezone.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert manager.get(f"{url}?since={future}").json()["count"] == 0
    assert manager.get(f"{url}?until={future}").json()["count"] == AuditEvent.objects.count()


def test_bad_filters_are_400_with_the_parameter(api):
    client = api("max", "audit")
    for query, path in [
        ("since=yesterday", "since"),
        ("instance=x", "instance"),
        ("workitem=-1", "workitem"),
    ]:
        answer = client.get(f"/api/v1/audit/?{query}")
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["path"] == path


def test_people_without_the_audit_permission_see_their_own_actions(api, review_process):
    ana, bob = api("ana"), api("bob")
    mine = start(ana, "a")
    start(bob, "b")
    events = ana.get("/api/v1/audit/").json()["results"]
    assert [(e["action"], e["instance"], e["actor"]) for e in events] == [
        ("run.started", mine, "ana")
    ]
    other = AuditEvent.objects.exclude(actor=ana.user).first()
    assert ana.get(f"/api/v1/audit/{other.pk}/").status_code == 404
    assert ana.get(f"/api/v1/audit/{events[0]['id']}/").status_code == 200
    # Managing runs is not reading the audit log: a manager without the permission sees their own.
    assert api("max", "manage").get("/api/v1/audit/").json()["count"] == 0
