"""The API with conditions kept as typed, and ambiguous ways out (WM125)."""

from __future__ import annotations

import pytest

from engine.models import Version
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

V = "/api/v1/processes/claims/versions"


def claims_draft(condition: str = "amount > 1000") -> Version:
    """Draft v1: Start → Review → (condition) Big claim, else (default) End."""
    process = svc.create_process(
        "claims",
        "Claims",
        input_schema={"type": "object", "properties": {"amount": {"type": "number"}}},
    )
    draft = process.versions.get()
    start, end = draft.activities.get(key="start"), draft.activities.get(key="end")
    review = svc.add_activity(draft, "human", key="review", name="Review")
    big = svc.add_activity(draft, "end", key="big", name="Big claim")
    svc.delete_transition(draft.transitions.get())
    svc.add_transition(draft, start, review, key="t_in")
    svc.add_transition(draft, review, big, key="t_big", condition=condition)
    svc.add_transition(draft, review, end, key="t_else", is_default=True)
    return draft


def test_validate_lists_conditions_compared_as_outcome_text(api):
    claims_draft()
    answer = api("pat").get(f"{V}/1/validate/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is True
    [item] = body["text_conditions"]
    assert item["key"] == "t_big"
    assert item["arrow"] == "Review → Big claim"
    assert item["condition"] == "amount > 1000"
    assert item["suggestion"] == "data.amount > 1000"
    assert "compared with the outcome as text" in item["message"]


def test_validate_of_a_clean_version_has_no_text_conditions(api):
    claims_draft("data.amount > 1000")
    assert api("pat").get(f"{V}/1/validate/").json()["text_conditions"] == []


def test_clone_after_switching_to_strict_answers_201_and_validate_reports_it(api, settings):
    svc.publish(claims_draft())
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    client = api("dee", "publish")

    cloned = client.post(f"{V}/1/clone/", {"note": "next"}, format="json")

    assert cloned.status_code == 201
    assert (cloned.json()["number"], cloned.json()["status"]) == (2, "draft")
    report = client.get(f"{V}/2/validate/").json()
    assert report["valid"] is False
    assert [(p["code"], p["key"], p["severity"]) for p in report["problems"]] == [
        ("WM109", "t_big", "error")
    ]
    assert report["text_conditions"] == []  # under strict it is never compared: it is an error
    refused = client.post(f"{V}/2/publish/", format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_failed"


def test_publish_of_ambiguous_ways_out_is_refused_naming_the_arrows(api):
    process = svc.create_process("leave", "Leave")
    draft = process.versions.get()
    review = svc.add_activity(draft, "human", key="review", name="Review")
    svc.add_transition(draft, draft.activities.get(key="start"), review)
    svc.add_transition(draft, review, draft.activities.get(key="end"))
    client = api("pia", "publish")

    refused = client.post("/api/v1/processes/leave/versions/1/publish/", format="json")

    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_failed"
    [error] = [e for e in body["errors"] if e["code"] == "WM125"]
    assert error["path"] == "start"
    assert "'Start → End'" in error["message"] and "'Start → Review'" in error["message"]
