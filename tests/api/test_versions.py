"""versions/: list, read, clone, publish, rollback, validate, diff, export, import, delete."""

from __future__ import annotations

import json

import pytest
import yaml

from engine.models import Process, Version
from engine.services import definitions

pytestmark = pytest.mark.django_db

V = "/api/v1/processes/review/versions"


def test_versions_are_listed_newest_first_and_read_with_their_elements(api, review_process):
    client = api("pat")
    definitions.clone(review_process)
    listed = client.get(f"{V}/").json()["results"]
    assert [(v["number"], v["status"], v["cloned_from"]) for v in listed] == [
        (2, "draft", 1),
        (1, "published", None),
    ]
    one = client.get(f"{V}/1/").json()
    assert {a["key"] for a in one["activities"]} == {"start", "review", "end"}
    assert {(t["source"], t["target"]) for t in one["transitions"]} == {
        ("start", "review"),
        ("review", "end"),
    }
    assert client.get(f"{V}/9/").status_code == 404
    assert client.get(f"{V}/99999999999/").status_code == 404


def test_clone_then_publish_then_rollback(api, review_process):
    client = api("pia", "publish")
    cloned = client.post(f"{V}/1/clone/", {"note": "next"}, format="json")
    assert cloned.status_code == 201
    assert (cloned.json()["number"], cloned.json()["status"]) == (2, "draft")
    published = client.post(f"{V}/2/publish/", {"note": "go"}, format="json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert Version.objects.get(process__code="review", number=1).status == "retired"
    rolled = client.post(f"{V}/1/rollback/", format="json")
    assert rolled.status_code == 200
    assert rolled.json()["status"] == "published"
    assert Version.objects.get(process__code="review", number=2).status == "retired"


def test_publishing_needs_the_publish_permission(api, review_process):
    designer = api("dee", "design")
    assert designer.post(f"{V}/1/clone/").status_code == 201
    answer = designer.post(f"{V}/2/publish/")
    assert answer.status_code == 403
    assert "publish" in answer.json()["detail"]
    assert Version.objects.get(process__code="review", number=2).status == "draft"
    assert designer.post(f"{V}/1/rollback/").status_code == 403


def test_cloning_needs_the_design_permission(api, review_process):
    assert api("pat").post(f"{V}/1/clone/").status_code == 403
    assert Version.objects.filter(process__code="review").count() == 1


def test_publishing_a_published_version_is_a_conflict(api, review_process):
    answer = api("pia", "publish").post(f"{V}/1/publish/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "frozen_version"


def test_rolling_back_to_a_version_that_is_not_retired_is_a_conflict(api, review_process):
    client = api("pia", "publish")
    answer = client.post(f"{V}/1/rollback/")
    assert answer.status_code == 409
    assert "retired" in answer.json()["detail"]


def test_a_draft_with_problems_is_not_published_and_the_problems_are_listed(api):
    client = api("pia", "publish")
    client.post("/api/v1/processes/", {"code": "broken", "title": "Broken"}, format="json")
    client.post(
        "/api/v1/processes/broken/versions/1/activities/",
        {"key": "lost", "kind": "human", "name": "Lost"},
        format="json",
    )
    validated = client.get("/api/v1/processes/broken/versions/1/validate/").json()
    assert validated["valid"] is False
    assert any(p["key"] == "lost" for p in validated["problems"])
    answer = client.post("/api/v1/processes/broken/versions/1/publish/")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "validation_failed"
    assert "lost" in [e["path"] for e in body["errors"]]
    assert Version.objects.get(process__code="broken").status == "draft"


def test_validate_a_good_version(api, review_process):
    answer = api("pat").get(f"{V}/1/validate/").json()
    assert answer["valid"] is True


def test_diff_matches_elements_by_key(api, review_process):
    client = api("dee", "design")
    client.post(f"{V}/1/clone/")
    client.patch(f"{V}/2/activities/review/", {"name": "Second look"}, format="json")
    client.post(f"{V}/2/activities/", {"key": "notify", "kind": "automatic"}, format="json")
    answer = client.get(f"{V}/2/diff/?against=1")
    assert answer.status_code == 200
    changes = {(c["key"], c["change"]) for c in answer.json()["changes"]}
    assert ("review", "changed") in changes
    assert ("notify", "added") in changes
    assert answer.json()["summary"]["added"] == 1


def test_diff_against_a_missing_or_bad_version_says_so(api, review_process):
    client = api("pat")
    missing = client.get(f"{V}/1/diff/?against=7")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["path"] == "against"
    assert client.get(f"{V}/1/diff/?against=abc").status_code == 400
    assert client.get(f"{V}/1/diff/").status_code == 400


def test_export_as_json_and_yaml(api, review_process):
    client = api("pat")
    as_json = client.get(f"{V}/1/export/")
    assert as_json.status_code == 200
    assert as_json["Content-Type"].startswith("application/json")
    assert 'filename="review-v1.json"' in as_json["Content-Disposition"]
    data = json.loads(as_json.content)
    assert data["format"] == "waymark.process/1"
    assert data["process"]["code"] == "review"
    as_yaml = client.get(f"{V}/1/export/?format=yaml")
    assert as_yaml["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.content) == data
    by_accept = client.get(f"{V}/1/export/", HTTP_ACCEPT="application/yaml")
    assert yaml.safe_load(by_accept.content) == data
    assert client.get(f"{V}/1/export/?format=xml").status_code == 404


def _exported(client, number=1) -> dict:
    return json.loads(client.get(f"{V}/{number}/export/").content)


def test_import_json_body_creates_a_draft(api, review_process):
    client = api("dee", "design")
    data = _exported(client)
    data["activities"][1]["name"] = "Imported review"
    answer = client.post(f"{V}/import/", data, format="json")
    assert answer.status_code == 201
    assert (answer.json()["number"], answer.json()["status"]) == (2, "draft")
    version = Version.objects.get(process__code="review", number=2)
    assert version.activities.get(key="review").name == "Imported review"


def test_import_yaml_body_and_publish(api, review_process):
    client = api("pia", "publish")
    text = client.get(f"{V}/1/export/?format=yaml").content
    answer = client.post(f"{V}/import/?publish=true", data=text, content_type="application/yaml")
    assert answer.status_code == 201
    assert answer.json()["status"] == "published"


def test_import_a_multipart_file(api, review_process):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api("dee", "design")
    text = client.get(f"{V}/1/export/?format=yaml").content
    upload = SimpleUploadedFile("review.yaml", text, content_type="application/yaml")
    answer = client.post(f"{V}/import/", {"file": upload}, format="multipart")
    assert answer.status_code == 201


def test_import_of_a_new_process_creates_it(api):
    client = api("dee", "design")
    data = {
        "format": "waymark.process/1",
        "process": {"code": "fresh", "title": "Fresh"},
        "activities": [{"key": "start", "kind": "start"}, {"key": "end", "kind": "end"}],
        "transitions": [{"key": "t1", "source": "start", "target": "end"}],
    }
    answer = client.post("/api/v1/processes/fresh/versions/import/", data, format="json")
    assert answer.status_code == 201
    assert Process.objects.filter(code="fresh").exists()


def test_import_publishing_needs_the_publish_permission(api, review_process):
    client = api("dee", "design")
    data = _exported(client)
    assert client.post(f"{V}/import/?publish=1", data, format="json").status_code == 403
    assert client.post(f"{V}/import/", data, format="json").status_code == 201
    assert api("pat").post(f"{V}/import/", data, format="json").status_code == 403


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda d: d["process"].update(code="other"), "process.code"),
        (lambda d: d["transitions"][0].update(target="nowhere"), "transitions"),
        (lambda d: d["activities"][0].update(kind="wizard"), "activities[0].kind"),
        (lambda d: d.update(format="something/9"), "format"),
    ],
)
def test_a_bad_import_lists_problems_and_writes_nothing(api, review_process, mutate, path):
    client = api("dee", "design")
    data = _exported(client)
    mutate(data)
    answer = client.post(f"{V}/import/", data, format="json")
    assert answer.status_code == 400
    paths = [e["path"] for e in answer.json()["errors"]]
    assert any(p.startswith(path) for p in paths), paths
    assert Version.objects.filter(process__code="review").count() == 1


def test_import_of_unreadable_text_says_where(api, review_process):
    client = api("dee", "design")
    answer = client.post(
        f"{V}/import/", data=b"process: [unclosed", content_type="application/yaml"
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_file"
    assert "line" in answer.json()["errors"][0]["path"]
    empty = client.post(f"{V}/import/", {}, format="json")
    assert empty.status_code == 400


def test_delete_a_draft_but_not_a_published_version(api, review_process):
    client = api("dee", "design")
    client.post(f"{V}/1/clone/")
    assert api("pat").delete(f"{V}/2/").status_code == 403
    assert client.delete(f"{V}/2/").status_code == 204
    assert not Version.objects.filter(process__code="review", number=2).exists()
    frozen = client.delete(f"{V}/1/")
    assert frozen.status_code == 409
    assert Version.objects.filter(process__code="review", number=1).exists()


def test_a_multipart_import_without_a_file_says_so(api, review_process):
    answer = api("dee", "design").post(f"{V}/import/", {"other": "x"}, format="multipart")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "file"
    assert Version.objects.filter(process__code="review").count() == 1


def test_the_process_list_costs_the_same_queries_for_many_processes(
    api, review_process, django_assert_max_num_queries
):
    client = api("pat")
    for index in range(10):
        definitions.create_process(f"extra-{index}", f"Extra {index}")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/processes/").json()["count"] == 11


def test_an_imported_file_with_nul_text_is_refused(api, review_process):
    client = api("dee", "design")
    text = client.get(f"{V}/1/export/").content.replace(b'"Review"', b'"Re\\u0000view"', 1)
    answer = client.post(f"{V}/import/", data=text, content_type="application/yaml")
    assert answer.status_code == 400
    assert "NUL character" in answer.json()["detail"]
    assert Version.objects.filter(process__code="review").count() == 1


def test_a_json_body_is_never_mistaken_for_raw_text(api, review_process):
    answer = api("dee", "design").post(
        f"{V}/import/", {"text": "format: x", "media_type": "application/yaml"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "process.code"


@pytest.mark.parametrize("depth", [100, 900, 5000])
def test_an_import_nested_too_deeply_is_400(api, review_process, depth):
    text = "process: " + "[" * depth + "]" * depth
    answer = api("dee", "design").post(f"{V}/import/", data=text, content_type="application/yaml")
    assert answer.status_code == 400
    assert "nest" in answer.json()["errors"][0]["message"]
    assert Version.objects.filter(process__code="review").count() == 1


def test_a_draft_holding_a_form_schema_that_is_not_usable_is_not_published(api, review_process):
    client = api("pia", "design", "publish")
    client.post(f"{V}/1/clone/", {}, format="json")
    # A draft saved before schemas were checked at every door can still hold one.
    bad = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}
    draft = Version.objects.get(process__code="review", number=2)
    draft.activities.filter(key="review").update(form_schema=bad)

    answer = client.post(f"{V}/2/publish/")

    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "validation_failed"
    error = next(e for e in body["errors"] if e["code"] == "WM126")
    assert error["path"] == "review"
    assert "the form schema is not usable" in error["message"]
    assert Version.objects.get(process__code="review", number=2).status == "draft"
