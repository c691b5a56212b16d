"""Publishing re-checks what older drafts may hold; retry policies stay exportable."""

import pytest

from engine.models import Activity, Process, VersionStatus
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

# A schema engine.schemas refuses: its reference points outside the schema.
OUTSIDE_REF = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}


def draft_with_a_task():
    """start -> review (human) -> end, a valid draft."""
    version = svc.create_process("claims", "Claims").versions.get()
    start, end = version.activities.get(key="start"), version.activities.get(key="end")
    review = svc.add_activity(version, "human", key="review", name="Review", roles=["staff"])
    version.transitions.all().delete()
    svc.add_transition(version, start, review)
    svc.add_transition(version, review, end)
    return version


def test_a_form_schema_saved_before_schemas_were_checked_blocks_publishing():
    version = draft_with_a_task()
    # As a draft saved by an older release holds it: written without the service's checks.
    Activity.objects.filter(version=version, key="review").update(form_schema=OUTSIDE_REF)

    with pytest.raises(svc.ValidationFailed) as refused:
        svc.publish(version)

    problem = next(p for p in refused.value.problems if p.code == "WM126")
    assert (problem.key, problem.severity) == ("review", "error")
    assert problem.message.startswith("'Review': the form schema is not usable")
    assert "points outside this schema" in problem.message
    assert "the form schema is not usable" in str(refused.value)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_an_input_schema_saved_before_schemas_were_checked_blocks_publishing():
    version = draft_with_a_task()
    Process.objects.filter(pk=version.process_id).update(input_schema=OUTSIDE_REF)
    version.refresh_from_db()

    problems = svc.validate_version(version)

    schema_problems = [p for p in problems if p.code == "WM126"]
    assert [(p.key, p.severity) for p in schema_problems] == [(None, "error")]
    assert "input schema is not usable" in schema_problems[0].message
    assert problems[0].severity == "error"  # errors first, as always
    with pytest.raises(svc.ValidationFailed):
        svc.publish(version)


def test_a_good_draft_still_publishes():
    version = draft_with_a_task()
    assert [p for p in svc.validate_version(version) if p.severity == "error"] == []
    assert svc.publish(version).status == VersionStatus.PUBLISHED


@pytest.mark.parametrize(
    ("field", "value"),
    [("retry_backoff_factor", 100.0), ("retry_max_attempts", 1000), ("retry_base_delay", -1)],
)
def test_a_retry_policy_beyond_what_a_file_can_hold_is_refused(field, value):
    version = draft_with_a_task()
    task = svc.add_activity(version, "automatic", key="pay", name="Pay", handler="x.y")

    with pytest.raises(svc.DefinitionError) as refused:
        svc.update_activity(task, **{field: value})

    assert refused.value.field == field
    assert refused.value.message.startswith(f"{field}: ")
    # Nothing changed, and the draft still exports.
    task.refresh_from_db()
    assert getattr(task, field) != value
    assert svc.export_version(version)["activities"]
