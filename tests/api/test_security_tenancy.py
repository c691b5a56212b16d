"""This wave's endpoints with another tenant's ids: 404 everywhere, nothing changed, no secret.

Incidents, triggers, pause, move-runs, webhook endpoints (and their secret), run data,
``?wait=`` and idempotent starts, called by a user of tenant acme on globex's objects.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from engine.models import Incident, Process, Trigger, WebhookEndpoint
from engine.services import runtime

pytestmark = pytest.mark.django_db


def tenant_of(who):
    user = getattr(who, "user", who)
    return {"tenant_id": user.get_username().split("-")[0]}


@pytest.fixture
def globex_run(review_process):
    Process.objects.filter(code="review").update(tenant_id="globex")
    run = runtime.start_run("review", {"customer": "g"})
    assert run.tenant_id == "globex"
    return run


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_another_tenants_incidents_runs_and_versions_answer_404(api, approvers, globex_run):
    incident = Incident.objects.create(instance=globex_run, kind="handler", message="boom")
    acme = api("acme-root", "manage", "publish", "workitems", "audit", groups=[approvers])
    assert acme.get("/api/v1/incidents/").json()["count"] == 0
    assert acme.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    assert acme.post(f"/api/v1/incidents/{incident.pk}/retry/").status_code == 404
    note = {"note": "done by hand"}
    assert acme.post(f"/api/v1/incidents/{incident.pk}/resolve/", note).status_code == 404
    patch = {"data": {"customer": "acme"}}
    run_url = f"/api/v1/runs/{globex_run.pk}/"
    assert acme.patch(run_url, patch, format="json").status_code == 404
    assert acme.get(run_url + "?wait=0.1").status_code == 404
    version = "/api/v1/processes/review/versions/1/"
    assert acme.get(version + "triggers/").status_code == 404
    trigger = {"key": "nightly", "kind": "schedule", "cron": "0 7 * * *"}
    assert acme.post(version + "triggers/", trigger, format="json").status_code == 404
    assert acme.post(version + "move-runs/", {"to": 1}, format="json").status_code == 404
    assert acme.post("/api/v1/processes/review/pause/", {}, format="json").status_code == 404
    assert not Trigger.objects.exists()
    incident.refresh_from_db()
    globex_run.refresh_from_db()
    assert incident.resolved_at is None and globex_run.data == {"customer": "g"}
    assert not Process.objects.get(code="review").paused
    globex = api("globex-root", "manage", groups=[approvers])  # the owner does see them
    assert globex.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_an_idempotent_start_never_reaches_another_tenants_process(api, globex_run):
    acme = api("acme-root", "manage")
    body = {"process": "review", "data": {"customer": "g"}}
    answer = acme.post("/api/v1/runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert answer.status_code == 404


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_another_tenants_webhook_endpoint_and_its_secret_answer_404(make_user):
    from rest_framework.test import APIClient

    [endpoint] = WebhookEndpoint.objects.bulk_create(
        [
            WebhookEndpoint(
                url="https://hooks.example.com/in", secret="whsec_globex", tenant_id="globex"
            )
        ]  # noqa: E501
    )
    client = APIClient()
    client.force_authenticate(make_user("acme-ops", "manage_webhooks"))
    listed = client.get("/api/v1/webhooks/")
    assert listed.status_code == 200 and listed.json()["count"] == 0
    url = f"/api/v1/webhooks/{endpoint.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "secret/").status_code == 404
    assert client.post(url + "rotate-secret/").status_code == 404
    assert client.patch(url, {"enabled": False}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.secret == "whsec_globex"
    owner = APIClient()
    owner.force_authenticate(make_user("globex-ops", "manage_webhooks"))
    shown = owner.get(url)
    assert shown.status_code == 200 and "whsec_globex" not in shown.content.decode()
    assert owner.post(url + "secret/").json()["secret"] == "whsec_globex"


def test_a_reused_idempotency_key_names_its_run_only_to_who_may_open_it(api, review_process):
    body = {"process": "review", "data": {"customer": "ana"}}
    other = {"process": "review", "data": {"customer": "bob"}}
    ana = api("ana")
    first = ana.post("/api/v1/runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-7").json()
    refused = ana.post("/api/v1/runs/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert refused.status_code == 422 and f"run {first['id']}" in refused.json()["detail"]
    bob = api("bob")  # may start runs, may not open ana's
    refused = bob.post("/api/v1/runs/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert str(first["id"]) not in refused.json()["detail"]
