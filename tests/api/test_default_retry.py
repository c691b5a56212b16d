"""PATCH versions/{number}/ sets or clears a draft's default retry policy."""

from __future__ import annotations

import pytest

from engine.models import Version
from engine.services import definitions

pytestmark = pytest.mark.django_db

V = "/api/v1/processes/review/versions"
BUILT_IN = {"max_attempts": 3, "base_delay": 2.0, "backoff_factor": 2.0, "max_delay": 300.0}


def _draft(review_process) -> Version:
    return definitions.clone(review_process)


def test_a_designer_sets_a_default_retry_and_the_export_carries_it(api, review_process):
    draft = _draft(review_process)
    client = api("dee", "design")
    answer = client.patch(
        f"{V}/{draft.number}/", {"default_retry": {"max_attempts": 5, "base_delay": 10}}, "json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["default_retry"] == {**BUILT_IN, "max_attempts": 5, "base_delay": 10.0}
    exported = client.get(f"{V}/{draft.number}/export/?format=json").json()
    assert exported["process"]["default_retry"]["max_attempts"] == 5
    draft.refresh_from_db()
    assert draft.graph().activities["review"].retry.max_attempts == 5  # what runs will use


def test_null_clears_the_default_retry(api, review_process):
    draft = _draft(review_process)
    definitions.set_default_retry(draft, {"max_attempts": 7})
    answer = api("dee", "design").patch(f"{V}/2/", {"default_retry": None}, format="json")
    assert answer.status_code == 200
    assert answer.json()["default_retry"] == {}
    draft.refresh_from_db()
    assert draft.default_retry == {}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"max_attempts": 0}, "default_retry.max_attempts"),
        ({"backoff_factor": 50}, "default_retry.backoff_factor"),
        ({"max_attemps": 5}, "default_retry.max_attemps"),
        ({"base_delay": "soon"}, "default_retry.base_delay"),
        ([5], "default_retry"),
        ("5 attempts", "default_retry"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(api, review_process, value, path):
    draft = _draft(review_process)
    answer = api("dee", "design").patch(f"{V}/2/", {"default_retry": value}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert [e["path"] for e in body["errors"]] == [path]
    assert body["detail"].startswith(path)
    draft.refresh_from_db()
    assert draft.default_retry == {}


def test_an_unknown_body_field_is_refused(api, review_process):
    _draft(review_process)
    answer = api("dee", "design").patch(f"{V}/2/", {"note": "x"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "note"


def test_a_published_version_cannot_change(api, review_process):
    answer = api("dee", "design").patch(
        f"{V}/1/", {"default_retry": {"max_attempts": 5}}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "frozen_version"
    review_process.refresh_from_db()
    assert review_process.default_retry == {}


def test_changing_it_needs_the_design_permission(api, review_process):
    _draft(review_process)
    answer = api("pat").patch(f"{V}/2/", {"default_retry": {"max_attempts": 5}}, format="json")
    assert answer.status_code == 403
    assert Version.objects.get(process__code="review", number=2).default_retry == {}
