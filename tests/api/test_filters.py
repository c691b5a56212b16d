"""Filters, ordering and page sizes of the list endpoints: each one the docs or the schema
name works, and anything else is a JSON 400 that says what the list takes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from engine.api.filters import MAX_PAGE_SIZE
from engine.models import AuditEvent
from engine.services import definitions, runtime

pytestmark = pytest.mark.django_db


def ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.content[:300]
    return [row["id"] for row in answer.json()["results"]]


def bad_request(answer) -> dict:
    assert answer.status_code == 400, answer.content[:300]
    assert answer["Content-Type"] == "application/json"
    data = answer.json()
    assert data["code"] == "invalid"
    return data


@pytest.fixture
def runs(review_process):
    """Three runs of "review", each with an open task offered to the approvers group."""
    return [runtime.start_run("review", {"customer": name}) for name in ("ana", "bo", "cy")]


def task_of(run):
    return run.workitems.get(activity_key="review")


# Workitems ----------------------------------------------------------------------------------


def test_workitems_of_one_run(api, approvers, runs):
    approver = api("apu", groups=[approvers])
    first = runs[0]
    assert ids(approver.get(f"/api/v1/workitems/?run={first.pk}")) == [task_of(first).pk]
    assert ids(approver.get(f"/api/v1/workitems/?run={runs[2].pk}&box=available")) == [
        task_of(runs[2]).pk
    ]
    # Still only what the caller may see: a stranger finds nothing in that run.
    assert ids(api("stranger").get(f"/api/v1/workitems/?run={first.pk}")) == []
    # A manager sees the run's task even though it is nobody's inbox.
    manager = api("boss", "workitems")
    assert ids(manager.get(f"/api/v1/workitems/?run={first.pk}")) == [task_of(first).pk]


def test_a_bare_workitem_list_is_still_the_inbox(api, approvers, runs):
    approver = api("apu", groups=[approvers])
    assert ids(approver.get("/api/v1/workitems/")) == []  # nothing assigned yet
    assert len(ids(approver.get("/api/v1/workitems/?box=all"))) == 3


def test_workitems_by_state_assignee_activity_and_process(api, approvers, runs):
    approver = api("apu", groups=[approvers])
    claimed = task_of(runs[1])
    assert approver.post(f"/api/v1/workitems/{claimed.pk}/claim/").status_code == 200
    assert ids(approver.get("/api/v1/workitems/?state=assigned")) == [claimed.pk]
    assert ids(approver.get("/api/v1/workitems/?assignee=apu")) == [claimed.pk]
    assert ids(approver.get("/api/v1/workitems/?assignee=nobody")) == []
    assert len(ids(approver.get("/api/v1/workitems/?state=offered"))) == 2
    assert len(ids(approver.get("/api/v1/workitems/?activity=review&process=review"))) == 3
    assert ids(approver.get("/api/v1/workitems/?activity=approve")) == []
    assert ids(approver.get("/api/v1/workitems/?process=other")) == []


def test_workitem_filters_of_the_wrong_type_are_a_400(api, runs):
    client = api("boss", "workitems")
    data = bad_request(client.get("/api/v1/workitems/?run=abc"))
    assert data["errors"] == [{"path": "run", "message": "A valid integer is required."}]
    data = bad_request(client.get("/api/v1/workitems/?run=0"))
    assert data["errors"][0]["path"] == "run"
    data = bad_request(client.get("/api/v1/workitems/?state=sleeping"))
    assert data["errors"][0]["path"] == "state"
    assert "not a valid choice" in data["errors"][0]["message"]


def test_an_unknown_parameter_is_a_400_naming_the_ones_the_list_takes(api, runs):
    data = bad_request(api("boss", "manage").get("/api/v1/runs/?proces=review"))
    assert data["errors"][0]["path"] == "proces"
    message = data["errors"][0]["message"]
    assert message.startswith("Not a parameter of this endpoint: use ")
    for name in ("business_key", "ordering", "page", "page_size", "process", "state"):
        assert name in message
    assert "proces:" in data["detail"]


# Runs ------------------------------------------------------------------------------------


def test_runs_in_the_order_asked_for(api, runs):
    client = api("boss", "manage")
    newest_first = [run.pk for run in reversed(runs)]
    assert ids(client.get("/api/v1/runs/")) == newest_first
    assert ids(client.get("/api/v1/runs/?ordering=started_at")) == newest_first[::-1]
    assert ids(client.get("/api/v1/runs/?ordering=-id")) == newest_first
    assert ids(client.get("/api/v1/runs/?ordering=process")) == newest_first[::-1]


def test_an_unknown_ordering_is_a_400_with_the_allowed_fields(api, runs):
    data = bad_request(api("boss", "manage").get("/api/v1/runs/?ordering=data"))
    assert data["errors"][0]["path"] == "ordering"
    message = data["errors"][0]["message"]
    assert message.startswith('Unknown ordering "data": use one of ')
    assert "started_at, -started_at" in message
    assert "business_key" in message


def test_page_size_is_honoured_and_bounded(api, runs):
    client = api("boss", "manage")
    first = client.get("/api/v1/runs/?page_size=2").json()
    assert (first["count"], len(first["results"])) == (3, 2)
    assert "page_size=2" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert {r["id"] for r in first["results"] + second["results"]} == {r.pk for r in runs}
    for wrong in ("0", "-1", "abc", str(MAX_PAGE_SIZE + 1)):
        data = bad_request(client.get(f"/api/v1/runs/?page_size={wrong}"))
        assert data["errors"][0]["path"] == "page_size"
    bad_request(client.get("/api/v1/runs/?page=abc"))
    beyond = client.get("/api/v1/runs/?page=9")
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"


def test_every_list_takes_page_size(api, runs):
    client = api("root", "manage", "workitems", "audit", "publish")
    version = "/api/v1/processes/review/versions/1"
    for url in (
        "/api/v1/processes/",
        "/api/v1/processes/review/versions/",
        f"{version}/activities/",
        f"{version}/transitions/",
        "/api/v1/runs/",
        "/api/v1/workitems/?box=all",
        "/api/v1/audit/",
    ):
        joined = "&" if "?" in url else "?"
        answer = client.get(f"{url}{joined}page_size=1")
        assert answer.status_code == 200, url
        assert len(answer.json()["results"]) == 1, url
        bad_request(client.get(f"{url}{joined}page_size=1000"))
        bad_request(client.get(f"{url}{joined}nope=1"))


# Processes, versions, audit ------------------------------------------------------------------


def test_processes_and_versions_filter_and_order(api, review_process):
    definitions.create_process("alpha", "Alpha")
    definitions.clone(review_process)
    client = api("pat")
    codes = [row["code"] for row in client.get("/api/v1/processes/").json()["results"]]
    assert codes == ["alpha", "review"]
    answer = client.get("/api/v1/processes/?ordering=-code").json()
    assert [row["code"] for row in answer["results"]] == ["review", "alpha"]
    versions = "/api/v1/processes/review/versions/"
    assert [v["number"] for v in client.get(versions).json()["results"]] == [2, 1]
    assert [v["number"] for v in client.get(f"{versions}?ordering=number").json()["results"]] == [
        1,
        2,
    ]
    drafts = client.get(f"{versions}?status=draft").json()["results"]
    assert [(v["number"], v["status"]) for v in drafts] == [(2, "draft")]
    bad_request(client.get(f"{versions}?status=lost"))
    bad_request(client.get("/api/v1/processes/?ordering=secret"))


def test_audit_filters_and_order(api, runs):
    client = api("auditor", "audit")
    run = runs[0]
    mine = client.get(f"/api/v1/audit/?instance={run.pk}").json()["results"]
    assert mine and {row["instance"] for row in mine} == {run.pk}
    oldest = client.get("/api/v1/audit/?ordering=created_at&page_size=1").json()["results"]
    assert oldest[0]["id"] == AuditEvent.objects.order_by("created_at", "pk").first().pk
    assert bad_request(client.get("/api/v1/audit/?instance=abc"))["errors"][0]["path"] == (
        "instance"
    )


# The schema offers exactly what works ------------------------------------------------------------


def schema() -> dict:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("schema-reader", password="pw-x-123456")
    client = Client()
    client.force_login(admin)
    return json.loads(client.get("/api/v1/schema/?format=json").content)


def test_the_schema_offers_the_parameters_that_work(db):
    paths = schema()["paths"]

    def query_names(path: str) -> set[str]:
        params = paths[path]["get"].get("parameters", [])
        return {p["name"] for p in params if p["in"] == "query"}

    paging = {"page", "page_size"}
    assert query_names("/api/v1/workitems/") == paging | {
        "box",
        "run",
        "process",
        "activity",
        "state",
        "assignee",
        "ordering",
    }
    assert query_names("/api/v1/runs/") == paging | {
        "process",
        "state",
        "business_key",
        "trigger",
        "ordering",
    }
    assert query_names("/api/v1/processes/") == paging | {"ordering"}
    assert query_names("/api/v1/processes/{code}/versions/") == paging | {"status", "ordering"}
    assert query_names("/api/v1/audit/") == paging | {
        "action",
        "process",
        "instance",
        "workitem",
        "actor",
        "since",
        "until",
        "ordering",
    }
    runs = {p["name"]: p for p in paths["/api/v1/runs/"]["get"]["parameters"]}
    assert runs["page_size"]["schema"]["maximum"] == MAX_PAGE_SIZE
    assert "-started_at" in runs["ordering"]["schema"]["enum"]
    run_id = paths["/api/v1/runs/{run_id}/"]["get"]["parameters"][0]
    assert run_id["schema"]["type"] == "integer"
    assert run_id["schema"]["maximum"] == 2**63 - 1
