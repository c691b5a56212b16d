"""processes/: list, create, read, update; permissions and bad input."""

from __future__ import annotations

import pytest
from django.test import override_settings

from engine.models import AuditEvent, Process

pytestmark = pytest.mark.django_db


def test_anyone_signed_in_lists_and_reads_processes(api, review_process):
    client = api("pat")
    listed = client.get("/api/v1/processes/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["code"] == "review"
    assert listed["results"][0]["published_version"] == 1
    one = client.get("/api/v1/processes/review/").json()
    assert one["title"] == "Review"
    assert one["input_schema"]["required"] == ["customer"]


def test_a_designer_creates_a_process_with_a_draft(api):
    client = api("dee", "design")
    answer = client.post(
        "/api/v1/processes/",
        {"code": "orders", "title": "Orders", "input_schema": {"type": "object"}},
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["code"] == "orders"
    process = Process.objects.get(code="orders")
    assert process.created_by == client.user
    versions = client.get("/api/v1/processes/orders/versions/").json()["results"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "draft")]
    assert AuditEvent.objects.filter(action="process.created", process=process).exists()


def test_creating_without_the_design_permission_is_403_and_creates_nothing(api):
    answer = api("pat").post("/api/v1/processes/", {"code": "x", "title": "X"}, format="json")
    assert answer.status_code == 403
    assert "design processes" in answer.json()["detail"]
    assert not Process.objects.exists()


@pytest.mark.parametrize(
    "body, path",
    [
        ({"title": "!!!"}, "code"),  # no code, and none can be made of this title
        ({"code": "Bad Code!", "title": "X"}, "code"),
        ({"code": "ok", "title": ""}, "title"),
        ({"code": "ok", "title": 42, "input_schema": "nope"}, "input_schema"),
        ({"code": "ok", "title": "X", "input_schema": {"type": "wrong"}}, "input_schema"),
    ],
)
def test_bad_process_bodies_say_where(api, body, path):
    answer = api("dee", "design").post("/api/v1/processes/", body, format="json")
    assert answer.status_code == 400
    assert path in [e["path"] for e in answer.json()["errors"]]
    assert not Process.objects.exists()


def test_a_taken_code_is_refused(api, review_process):
    answer = api("dee", "design").post(
        "/api/v1/processes/", {"code": "review", "title": "Again"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "code"
    assert Process.objects.get(code="review").title == "Review"


def test_a_designer_updates_title_and_schema(api, review_process):
    client = api("dee", "design")
    answer = client.patch(
        "/api/v1/processes/review/", {"title": "Review v2", "input_schema": {}}, format="json"
    )
    assert answer.status_code == 200
    process = Process.objects.get(code="review")
    assert (process.title, process.input_schema) == ("Review v2", {})


def test_updating_needs_the_design_permission(api, review_process):
    answer = api("pat").patch("/api/v1/processes/review/", {"title": "Hijack"}, format="json")
    assert answer.status_code == 403
    assert Process.objects.get(code="review").title == "Review"


def test_unknown_process_is_404(api):
    client = api("dee", "design")
    assert client.get("/api/v1/processes/nope/").status_code == 404
    assert client.patch("/api/v1/processes/nope/", {}, format="json").status_code == 404
    # A code that cannot exist never reaches a query.
    assert client.get("/api/v1/processes/NOT%20A%20CODE/").status_code == 404


def tenant_of(who):
    user = getattr(who, "user", who)
    return {"tenant_id": user.get_username().split("-")[0]}


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_processes_of_another_tenant_are_invisible_and_new_ones_are_stamped(api, review_process):
    Process.objects.filter(code="review").update(tenant_id="globex")
    acme = api("acme-dee", "publish")
    assert acme.get("/api/v1/processes/").json()["count"] == 0
    assert acme.get("/api/v1/processes/review/").status_code == 404
    assert acme.patch("/api/v1/processes/review/", {"title": "x"}, format="json").status_code == 404
    assert acme.post("/api/v1/processes/review/versions/1/clone/").status_code == 404
    run = acme.post(
        "/api/v1/runs/", {"process": "review", "data": {"customer": "c"}}, format="json"
    )
    assert run.status_code == 404
    created = acme.post("/api/v1/processes/", {"code": "mine", "title": "Mine"}, format="json")
    assert created.status_code == 201
    assert Process.objects.get(code="mine").tenant_id == "acme"
    globex = api("globex-gil")
    assert [p["code"] for p in globex.get("/api/v1/processes/").json()["results"]] == ["review"]
