"""The designer's publish confirmation, clone and undo with conditions kept as typed, and
ambiguous ways out (WM125) refused at publish."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from engine.models import Version
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def publisher(client, django_user_model):
    user = django_user_model.objects.create_user("paul", password="pw-paul-123")
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return client


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


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_publish_confirmation_lists_conditions_compared_as_outcome_text(publisher):
    claims_draft()
    response = publisher.get(reverse("versions:publish", args=("claims", 1)))
    body = page(response)
    assert response.status_code == 200
    assert "Conditions compared with the outcome as text" in body
    assert "Review → Big claim" in body
    assert "<code>amount > 1000</code>" in body
    assert "to test run data, write <code>data.amount > 1000</code>" in body
    # It is a warning: publishing stays possible.
    assert "Publish v1" in body


def test_publish_confirmation_without_such_conditions_says_nothing_of_them(publisher):
    claims_draft("data.amount > 1000")
    body = page(publisher.get(reverse("versions:publish", args=("claims", 1))))
    assert "compared with the outcome as text" not in body


def test_clone_after_switching_to_strict_opens_the_draft_with_the_error(publisher, settings):
    svc.publish(claims_draft())
    settings.WAYMARK_CONDITION_STRATEGY = "strict"

    response = publisher.post(reverse("versions:clone", args=("claims", 1)), {"note": ""})

    assert response.status_code == 302
    assert response["Location"] == "/processes/claims/versions/2/"
    problems = page(publisher.get("/processes/claims/versions/2/problems/", **HX))
    assert "WM109" in problems
    assert "'amount > 1000' does not parse" in problems
    publish = page(publisher.get(reverse("versions:publish", args=("claims", 2))))
    assert "must be fixed before publishing" in publish


def test_undo_after_switching_to_strict_restores_the_arrow(publisher, settings):
    claims_draft()
    base = "/processes/claims/versions/1/"
    publisher.post(base + "transitions/t_big/delete/", **HX)
    settings.WAYMARK_CONDITION_STRATEGY = "strict"

    response = publisher.post(base + "undo/", **HX)

    assert response.status_code == 200
    draft = Version.objects.get(process__code="claims", number=1)
    assert draft.transitions.get(key="t_big").condition == "amount > 1000"


def test_two_unconditional_ways_out_of_start_block_publishing(publisher):
    process = svc.create_process("leave", "Leave")
    draft = process.versions.get()
    review = svc.add_activity(draft, "human", key="review", name="Review")
    svc.add_transition(draft, draft.activities.get(key="start"), review)
    svc.add_transition(draft, review, draft.activities.get(key="end"))
    confirm = reverse("versions:publish", args=("leave", 1))

    body = page(publisher.get(confirm))
    assert "WM125" in body
    assert "'Start → End'" in body and "'Start → Review'" in body
    assert "parallel gateway" in body

    refused = publisher.post(confirm, {"note": ""})
    assert refused.status_code == 400
    assert "Publishing was refused" in page(refused)
    draft.refresh_from_db()
    assert draft.status == "draft"

    editor_problems = page(publisher.get("/processes/leave/versions/1/problems/", **HX))
    assert "WM125" in editor_problems


def test_saving_a_comparison_without_data_suggests_the_data_form(publisher):
    claims_draft("eq:big")
    data = {
        "transition-condition": "amount > 1000",
        "transition-priority": "0",
        "transition-source": "review",
        "transition-target": "big",
    }
    body = page(publisher.post("/processes/claims/versions/1/transitions/t_big/", data, **HX))
    assert "kept as typed" in body
    assert "to test run data, write: data.amount > 1000" in body
    assert Version.objects.get(number=1).transitions.get(key="t_big").condition == "amount > 1000"
