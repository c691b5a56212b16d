"""activities/ and transitions/ of a version: editing drafts only, conditions normalized."""

from __future__ import annotations

import pytest

from engine.models import Activity, Transition, Version
from engine.services import definitions

pytestmark = pytest.mark.django_db

D = "/api/v1/processes/orders/versions/1"


@pytest.fixture
def draft(api):
    client = api("dee", "design")
    client.post("/api/v1/processes/", {"code": "orders", "title": "Orders"}, format="json")
    return client


def test_add_read_update_delete_an_activity(draft):
    added = draft.post(
        f"{D}/activities/",
        {"key": "check", "kind": "human", "name": "Check", "outcomes": ["OK", "NO"]},
        format="json",
    )
    assert added.status_code == 201
    assert added.json()["outcomes"] == ["OK", "NO"]
    assert draft.get(f"{D}/activities/check/").json()["name"] == "Check"
    listed = draft.get(f"{D}/activities/").json()
    assert {a["key"] for a in listed["results"]} == {"start", "end", "check"}
    changed = draft.patch(
        f"{D}/activities/check/", {"name": "Double check", "x": 10.5}, format="json"
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["x"]) == ("Double check", 10.5)
    assert draft.delete(f"{D}/activities/check/").status_code == 204
    assert draft.get(f"{D}/activities/check/").status_code == 404


def test_an_activity_without_a_key_gets_one(draft):
    added = draft.post(f"{D}/activities/", {"kind": "automatic"}, format="json")
    assert added.status_code == 201
    assert added.json()["key"].startswith("a_")


@pytest.mark.parametrize(
    "body, path",
    [
        ({"name": "no kind"}, "kind"),
        ({"kind": "wizard"}, "kind"),
        ({"kind": "human", "key": "9bad key"}, "key"),
        ({"kind": "human", "key": "start"}, "key"),
        ({"kind": "human", "outcomes": "OK"}, "outcomes"),
        ({"kind": "human", "form_schema": ["x"]}, "form_schema"),
        ({"kind": "human", "x": "left"}, "x"),
        ({"kind": "automatic", "retry_max_attempts": 0}, "retry_max_attempts"),
        ({"kind": "human", "name": ["a list"]}, "name"),
        ({"kind": "human", "outcome": "OK"}, "outcome"),
    ],
)
def test_bad_activity_bodies_say_where(draft, body, path):
    answer = draft.post(f"{D}/activities/", body, format="json")
    assert answer.status_code == 400, answer.json()
    assert path in [e["path"] for e in answer.json()["errors"]]
    assert Activity.objects.filter(version__process__code="orders").count() == 2


def test_a_transition_is_added_with_a_normalized_condition(draft):
    draft.post(f"{D}/activities/", {"key": "gate", "kind": "exclusive"}, format="json")
    added = draft.post(
        f"{D}/transitions/",
        {
            "key": "approved",
            "source": "gate",
            "target": "end",
            "condition": "instance.condition == 'APPROVED'",
        },
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert added.json()["condition"] == "eq:APPROVED"
    assert Transition.objects.get(key="approved").condition == "eq:APPROVED"
    changed = draft.patch(
        f"{D}/transitions/approved/", {"condition": "instance.data.amount > 100"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["condition"] == "instance.data.amount > 100"
    moved = draft.patch(f"{D}/transitions/approved/", {"source": "start"}, format="json")
    assert moved.json()["source"] == "start"
    assert draft.get(f"{D}/transitions/approved/").json()["target"] == "end"
    assert draft.delete(f"{D}/transitions/approved/").status_code == 204
    assert not Transition.objects.filter(key="approved").exists()


def test_a_transition_to_an_unknown_activity_is_400(draft):
    answer = draft.post(f"{D}/transitions/", {"source": "start", "target": "ghost"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "target"


def test_strict_mode_refuses_an_invalid_condition_with_its_position(draft, settings):
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    answer = draft.post(
        f"{D}/transitions/",
        {"key": "bad", "source": "start", "target": "end", "condition": "data.amount > 100 and"},
        format="json",
    )
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["path"] == "condition"
    assert error["position"] == 21
    assert "position 21" in error["message"]
    assert not Transition.objects.filter(key="bad").exists()


def test_compatible_mode_keeps_an_invalid_condition_for_validation(draft):
    answer = draft.post(
        f"{D}/transitions/",
        {"key": "odd", "source": "start", "target": "end", "condition": "whatever this is"},
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["condition"] == "whatever this is"


def test_a_frozen_version_is_a_409_on_every_change(api, review_process):
    client = api("dee", "design")
    base = "/api/v1/processes/review/versions/1"
    attempts = [
        client.post(f"{base}/activities/", {"kind": "human"}, format="json"),
        client.patch(f"{base}/activities/review/", {"name": "x"}, format="json"),
        client.delete(f"{base}/activities/review/"),
        client.post(f"{base}/transitions/", {"source": "start", "target": "end"}, format="json"),
        client.delete(f"{base}/transitions/{Transition.objects.first().key}/"),
    ]
    for answer in attempts:
        assert answer.status_code == 409
        assert "Clone it" in answer.json()["detail"]
    assert Activity.objects.get(version=review_process, key="review").name == "Review"
    assert review_process.transitions.count() == 2


def test_editing_needs_the_design_permission(api, draft):
    reader = api("pat")
    assert reader.get(f"{D}/activities/").status_code == 200
    assert reader.post(f"{D}/activities/", {"kind": "human"}, format="json").status_code == 403
    assert reader.patch(f"{D}/activities/start/", {"name": "x"}, format="json").status_code == 403
    assert reader.delete(f"{D}/activities/start/").status_code == 403
    assert Activity.objects.get(key="start", version__process__code="orders").name == "Start"


def test_the_api_edits_exactly_as_the_service_does(draft):
    """The same change through the service and through the API gives the same rows."""
    version = definitions.clone(Version.objects.get(process__code="orders"))
    definitions.add_activity(version, "human", key="svc", name="Same", outcomes=["A"])
    draft.post(
        f"{D}/activities/",
        {"key": "svc", "kind": "human", "name": "Same", "outcomes": ["A"]},
        format="json",
    )
    through_api = draft.get(f"{D}/activities/svc/").json()
    through_service = draft.get(
        f"/api/v1/processes/orders/versions/{version.number}/activities/svc/"
    ).json()
    assert through_api == through_service
