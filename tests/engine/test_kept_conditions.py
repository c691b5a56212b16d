"""Conditions kept as typed (compatible strategy) at the service and the admin doors."""

import pytest
from django.urls import reverse

from engine.models import Version, VersionStatus
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db


def claims_process(condition: str = "amount > 1000") -> Version:
    """Published v1: Start → Review → (condition) Big claim, else End."""
    process = svc.create_process(
        "claims",
        "Claims",
        input_schema={"type": "object", "properties": {"amount": {"type": "number"}}},
    )
    version = process.versions.get()
    start = version.activities.get(key="start")
    end = version.activities.get(key="end")
    review = svc.add_activity(version, "human", key="review", name="Review")
    big = svc.add_activity(version, "end", key="big", name="Big claim")
    svc.delete_transition(version.transitions.get())
    svc.add_transition(version, start, review, key="t_in")
    svc.add_transition(version, review, big, key="t_big", condition=condition)
    svc.add_transition(version, review, end, key="t_else", is_default=True)
    return svc.publish(version)


def test_the_service_lists_the_condition_with_its_data_form():
    version = claims_process()
    [item] = svc.text_conditions(version)
    assert (item.key, item.condition, item.suggestion) == (
        "t_big",
        "amount > 1000",
        "data.amount > 1000",
    )


def test_clone_after_switching_to_strict_keeps_the_text_and_validation_reports_it(settings):
    version = claims_process()
    settings.WAYMARK_CONDITION_STRATEGY = "strict"

    draft = svc.clone(version)

    assert draft.status == VersionStatus.DRAFT
    assert draft.transitions.get(key="t_big").condition == "amount > 1000"
    problems = [p for p in svc.validate_version(draft) if p.key == "t_big"]
    assert [(p.code, p.severity) for p in problems] == [("WM109", "error")]
    with pytest.raises(svc.ValidationFailed):
        svc.publish(draft)


def test_undo_after_switching_to_strict_restores_the_text(settings):
    draft = svc.clone(claims_process())
    snapshot = svc.export_version(draft)
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    svc.delete_transition(draft.transitions.get(key="t_big"))

    svc.restore_snapshot(draft, snapshot)

    assert draft.transitions.get(key="t_big").condition == "amount > 1000"


def test_admin_clone_action_after_switching_to_strict(admin_user_client, settings):
    version = claims_process()
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    response = admin_user_client.post(
        reverse("admin:engine_version_changelist"),
        {"action": "clone_versions", "_selected_action": [version.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Cloned claims v1 to v2." in response.content.decode()
    draft = Version.objects.get(process=version.process, number=2)
    assert draft.transitions.get(key="t_big").condition == "amount > 1000"
