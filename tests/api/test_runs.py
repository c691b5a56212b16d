"""runs/: start, list with filters, read, cancel, retry; bad input of every kind."""

from __future__ import annotations

import pytest

from engine.models import AuditEvent, ProcessInstance
from engine.services import definitions, runtime
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db

GOOD = {"process": "review", "data": {"customer": "ana"}, "business_key": "order-1"}


def start(client, body=None, **kwargs):
    return client.post("/api/v1/runs/", body or GOOD, format="json", **kwargs)


def test_start_answers_201_with_what_a_caller_needs(api, review_process):
    answer = start(api("pat"))
    assert answer.status_code == 201
    body = answer.json()
    run = ProcessInstance.objects.get()
    assert body["id"] == run.pk
    assert (body["process"], body["version"]) == ("review", 1)
    assert (body["state"], body["detailed_state"]) == ("ACTIVE", "waiting")
    assert body["business_key"] == "order-1"
    assert body["started_at"]
    assert body["url"].endswith(f"/runs/{run.pk}/")
    assert run.started_by.username == "pat"
    assert run.data == {"customer": "ana"}


def test_the_run_page_url_is_the_monitoring_page(api, review_process):
    from django.urls import reverse

    answer = start(api("pat")).json()
    assert (
        answer["url"] == f"http://testserver{reverse('monitoring:run_detail', args=[answer['id']])}"
    )


def test_a_run_that_ends_at_once_is_succeeded_with_its_result(api, wm):
    deploy([], ["start > end"], code="quick")
    answer = start(api("pat"), {"process": "quick", "data": {"n": 1}})
    assert answer.json()["state"] == "SUCCEEDED"
    detail = api("pia", "manage").get(f"/api/v1/runs/{answer.json()['id']}/").json()
    assert detail["result"] == {"n": 1}
    assert detail["ended_at"]


@pytest.mark.parametrize(
    "body, status, code, path",
    [
        ({"process": "nope", "data": {}}, 404, "unknown_process", None),
        ({"process": "", "data": {}}, 400, "invalid", "process"),
        ({"process": "review", "data": {}}, 400, "invalid", "customer"),  # missing: itself
        ({"process": "review", "data": {"customer": 5}}, 400, "invalid", "customer"),
        ({"process": "review", "data": ["a"]}, 400, "invalid", "data"),
        ({"process": "review", "data": "text"}, 400, "invalid", "data"),
        ({"data": {"customer": "x"}}, 400, "invalid", "process"),
        (
            {"process": "review", "data": {"customer": "x"}, "business_key": "k" * 201},
            400,
            "invalid",
            "business_key",
        ),
        ({"process": "review", "data": {"customer": "x"}, "extra": 1}, 400, "invalid", "extra"),
    ],
)
def test_bad_starts_say_what_and_where_and_start_nothing(
    api, review_process, body, status, code, path
):
    answer = start(api("pat"), body)
    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert answer.json()["detail"]
    if path is not None:
        assert path in [e["path"] for e in answer.json()["errors"]]
    assert not ProcessInstance.objects.exists()


def test_a_process_without_a_published_version_is_409(api):
    api("dee", "design").post(
        "/api/v1/processes/", {"code": "draft-only", "title": "D"}, format="json"
    )
    answer = start(api("pat"), {"process": "draft-only"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_published"


def test_malformed_json_is_400_and_changes_nothing(api, review_process):
    client = api("pat")
    for text in ['{"process": "review",', "[1, 2", '{"data": NaN}', "\x00"]:
        answer = client.post("/api/v1/runs/", data=text, content_type="application/json")
        assert answer.status_code == 400
        assert answer.json()["code"] == "malformed"
    assert not ProcessInstance.objects.exists()


def test_a_body_that_is_not_an_object_is_400(api, review_process):
    answer = api("pat").post("/api/v1/runs/", data="[1]", content_type="application/json")
    assert answer.status_code == 400


def test_text_with_nul_characters_is_refused(api, review_process):
    body = '{"process": "review", "data": {"customer": "a\\u0000b"}}'
    answer = api("pat").post("/api/v1/runs/", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert "data.customer" in answer.json()["detail"]


def test_a_wrong_content_type_is_415(api, review_process):
    answer = api("pat").post("/api/v1/runs/", data="process=review", content_type="text/plain")
    assert answer.status_code == 415
    assert answer.json()["detail"]


def test_run_data_over_the_cap_is_413(api, review_process, settings):
    settings.WAYMARK_MAX_DATA_BYTES = 1000
    answer = start(api("pat"), {"process": "review", "data": {"customer": "x" * 2000}})
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"
    assert not ProcessInstance.objects.exists()


def test_a_body_over_the_upload_limit_is_413(api, review_process, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000
    answer = start(api("pat"), {"process": "review", "data": {"customer": "x" * 6000}})
    assert answer.status_code == 413
    assert not ProcessInstance.objects.exists()


def test_the_list_shows_only_runs_one_may_see_with_filters(api, review_process, wm):
    deploy([], ["start > end"], code="quick")
    ana, bob = api("ana"), api("bob")
    mine = start(ana).json()["id"]
    start(ana, {"process": "quick"})
    start(bob, {**GOOD, "business_key": "order-2"})
    assert [r["id"] for r in ana.get("/api/v1/runs/?process=review").json()["results"]] == [mine]
    assert ana.get("/api/v1/runs/").json()["count"] == 2
    assert ana.get("/api/v1/runs/?state=SUCCEEDED").json()["results"][0]["process"] == "quick"
    assert ana.get("/api/v1/runs/?state=waiting").json()["count"] == 1
    manager = api("max", "manage")
    assert manager.get("/api/v1/runs/").json()["count"] == 3
    by_key = manager.get("/api/v1/runs/?business_key=order-2").json()["results"]
    assert [r["business_key"] for r in by_key] == ["order-2"]
    bad = manager.get("/api/v1/runs/?state=sleepy")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == "state"


def test_someone_elses_run_is_404_not_403(api, review_process):
    run_id = start(api("ana")).json()["id"]
    stranger = api("sam")
    assert stranger.get(f"/api/v1/runs/{run_id}/").status_code == 404
    assert stranger.post(f"/api/v1/runs/{run_id}/cancel/").status_code == 404
    assert stranger.post(f"/api/v1/runs/{run_id}/retry/").status_code == 404
    assert ProcessInstance.objects.get().state == "waiting"
    assert stranger.get("/api/v1/runs/99999/").status_code == 404


def test_cancel_needs_manage_runs_and_is_409_the_second_time(api, review_process):
    starter = api("ana")
    run_id = start(starter).json()["id"]
    refused = starter.post(f"/api/v1/runs/{run_id}/cancel/", {"reason": "x"}, format="json")
    assert refused.status_code == 403
    assert "manage runs" in refused.json()["detail"]
    manager = api("max", "manage")
    done = manager.post(f"/api/v1/runs/{run_id}/cancel/", {"reason": "duplicate"}, format="json")
    assert done.status_code == 200
    assert done.json()["state"] == "CANCELLED"
    again = manager.post(f"/api/v1/runs/{run_id}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "run_not_active"
    event = AuditEvent.objects.get(action="run.cancelled")
    assert event.metadata == {"reason": "duplicate"}


def test_retry_a_failed_run_shows_its_incident(api, wm, django_capture_on_commit_callbacks):
    deploy(
        [
            {
                "key": "charge",
                "kind": "automatic",
                "handler": "test.fail",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start > charge", "charge > end"],
        code="charge",
    )
    manager = api("max", "manage")
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(manager, {"process": "charge"}).json()["id"]
    failed = manager.get(f"/api/v1/runs/{run_id}/").json()
    assert (failed["state"], failed["detailed_state"]) == ("FAILED", "failed")
    assert failed["incidents"][0]["kind"] == "handler"
    assert "boom" in failed["incidents"][0]["message"]
    with django_capture_on_commit_callbacks(execute=True):
        retried = manager.post(f"/api/v1/runs/{run_id}/retry/")
    assert retried.status_code == 200
    assert manager.get(f"/api/v1/runs/{run_id}/").json()["state"] == "FAILED"  # boom again
    assert AuditEvent.objects.filter(action="workitem.retried", instance_id=run_id).exists()


def test_retry_with_nothing_fallen_out_is_409(api, review_process):
    manager = api("max", "manage")
    run_id = start(manager).json()["id"]
    answer = manager.post(f"/api/v1/runs/{run_id}/retry/")
    assert answer.status_code == 409
    assert "fallen out" in answer.json()["detail"]


def test_the_api_starts_runs_exactly_as_the_service_does(api, review_process):
    through_api = ProcessInstance.objects.get(pk=start(api("ana")).json()["id"])
    through_service = runtime.start_run("review", GOOD["data"], business_key="order-1")
    fields = ("process_id", "version_id", "state", "data", "business_key", "step_count")
    assert [getattr(through_api, f) for f in fields] == [
        getattr(through_service, f) for f in fields
    ]
    assert list(through_api.workitems.values_list("activity_key", "state")) == list(
        through_service.workitems.values_list("activity_key", "state")
    )
    # Same refusal, same message.
    with pytest.raises(runtime.InvalidData) as refused:
        runtime.start_run("review", {})
    answer = start(api("bob"), {"process": "review", "data": {}})
    assert answer.json()["detail"] == refused.value.message
    assert answer.json()["errors"] == refused.value.errors
    assert definitions  # the definitions service is what deployed the process


def test_suspend_and_resume(api, review_process):
    manager = api("max", "manage")
    run_id = start(manager).json()["id"]
    assert start(api("ana")).status_code == 201
    paused = manager.post(f"/api/v1/runs/{run_id}/suspend/", {"reason": "audit"}, format="json")
    assert (paused.status_code, paused.json()["detailed_state"]) == (200, "suspended")
    assert paused.json()["state"] == "ACTIVE"
    again = manager.post(f"/api/v1/runs/{run_id}/suspend/")
    assert again.status_code == 409
    resumed = manager.post(f"/api/v1/runs/{run_id}/resume/")
    assert (resumed.status_code, resumed.json()["detailed_state"]) == (200, "waiting")
    starter_run = ProcessInstance.objects.get(started_by__username="ana")
    refused = api("ana2").post(f"/api/v1/runs/{starter_run.pk}/suspend/")
    assert refused.status_code == 404
    ana = api("ana3")
    own = start(ana).json()["id"]
    assert ana.post(f"/api/v1/runs/{own}/suspend/").status_code == 403
    assert ProcessInstance.objects.get(pk=own).state == "waiting"


@pytest.mark.parametrize("depth", [65, 600, 5000])
def test_data_nested_too_deeply_is_400(api, review_process, depth):
    nested = "[" * depth + "]" * depth
    body = '{"process": "review", "data": {"customer": "x", "deep": ' + nested + "}}"
    answer = api("pat").post("/api/v1/runs/", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert "deep" in answer.json()["detail"]
    assert not ProcessInstance.objects.exists()


def test_data_nested_reasonably_is_fine(api, review_process):
    nested = {"a": {"b": {"c": [[[1]]]}}}
    answer = start(api("pat"), {"process": "review", "data": {"customer": "x", "n": nested}})
    assert answer.status_code == 201


def test_a_number_beyond_json_is_400(api, review_process):
    body = '{"process": "review", "data": {"customer": "x", "big": 1e400}}'
    answer = api("pat").post("/api/v1/runs/", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert "data.big" in answer.json()["detail"]
    assert not ProcessInstance.objects.exists()
