"""Versioning rules, editing drafts, conditions on save, import/export round trips."""

import copy
import json

import pytest

from engine.definition_format import DefinitionFileError
from engine.models import (
    Activity,
    AuditEvent,
    FrozenVersionError,
    Process,
    Transition,
    Version,
    VersionStatus,
)
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db


def simple_definition(code="leave", **overrides):
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": "Leave request"},
        "activities": [
            {"key": "start", "kind": "start", "name": "Start", "x": 10, "y": 10},
            {
                "key": "review",
                "kind": "human",
                "name": "Review",
                "outcomes": ["APPROVED", "REJECTED"],
                "roles": ["managers"],
            },
            {"key": "ok", "kind": "end", "name": "Approved"},
            {"key": "no", "kind": "end", "name": "Rejected"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "review"},
            {"key": "t2", "source": "review", "target": "ok", "condition": "APPROVED"},
            {"key": "t3", "source": "review", "target": "no", "condition": "eq:REJECTED"},
        ],
    }
    data.update(overrides)
    return data


def test_new_process_gets_a_draft_v1_from_start_to_end(user):
    process = svc.create_process("onboarding", "Onboarding", user=user)
    version = process.versions.get()
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    kinds = sorted(version.activities.values_list("kind", flat=True))
    assert kinds == ["end", "start"]
    transition = version.transitions.get()
    assert (transition.source.kind, transition.target.kind) == ("start", "end")
    assert AuditEvent.objects.filter(action="process.created", process=process).exists()


@pytest.mark.parametrize("code", ["Has Spaces", "UPPER", "-leading", "x" * 65])
def test_bad_process_codes_are_refused(code):
    with pytest.raises(svc.DefinitionError) as info:
        svc.create_process(code, "Title")
    assert info.value.field == "code"
    assert not Process.objects.exists()


def test_duplicate_process_code_is_refused():
    svc.create_process("dup", "One")
    with pytest.raises(svc.DefinitionError, match="is not available"):
        svc.create_process("dup", "Two")


def test_conditions_are_normalized_when_saved_through_the_service():
    version = svc.create_process("p", "P").versions.get()
    start, end = version.activities.order_by("pk")
    transition = svc.add_transition(version, start, end, condition="  IN: A , B ")
    transition.refresh_from_db()
    assert transition.condition == "in:A,B"
    svc.update_transition(transition, condition="instance.condition == 'APPROVED'")
    transition.refresh_from_db()
    assert transition.condition == "eq:APPROVED"


def test_conditions_are_normalized_when_a_row_is_saved_directly():
    # The admin and any other door save the model: normalization happens there too.
    version = svc.create_process("p", "P").versions.get()
    transition = version.transitions.get()
    transition.condition = "workitem.time_out(3, unit='days')"
    transition.save()
    transition.refresh_from_db()
    assert transition.condition == "timeout:3d"


def test_strict_mode_refuses_an_invalid_condition_with_its_position(settings):
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    version = svc.create_process("p", "P").versions.get()
    transition = version.transitions.get()
    with pytest.raises(svc.DefinitionError) as info:
        svc.update_transition(transition, condition="instance.data.amount >")
    assert info.value.field == "condition"
    assert "position" in info.value.message
    transition.refresh_from_db()
    assert transition.condition == ""


def test_compatible_mode_keeps_invalid_text_as_typed():
    version = svc.create_process("p", "P").versions.get()
    transition = version.transitions.get()
    svc.update_transition(transition, condition="  instance.data.amount >  ")
    transition.refresh_from_db()
    assert transition.condition == "instance.data.amount >"
    codes = [p.code for p in svc.validate_version(version) if p.key == transition.key]
    assert codes, "the kept invalid condition is reported as a problem"


def test_published_versions_are_frozen_everywhere():
    version = svc.import_definition(simple_definition(), publish_it=True)
    activity = version.activities.first()
    with pytest.raises(FrozenVersionError, match="only drafts can be edited"):
        svc.update_activity(activity, name="Changed")
    with pytest.raises(FrozenVersionError):
        svc.add_activity(version, "human", name="New")
    activity.name = "Sneaky"
    with pytest.raises(FrozenVersionError):
        activity.save()  # a direct save, as the admin would do
    with pytest.raises(FrozenVersionError):
        version.transitions.first().delete()
    assert Activity.objects.get(pk=activity.pk).name != "Sneaky"


def test_publish_refuses_a_version_with_errors_and_changes_nothing():
    version = svc.create_process("p", "P").versions.get()
    svc.add_activity(version, "automatic", name="Orphan")  # unreachable, no handler
    with pytest.raises(svc.ValidationFailed) as info:
        svc.publish(version)
    assert any(p.severity == "error" for p in info.value.problems)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_publish_retires_the_previous_version_and_leaves_other_drafts(user):
    v1 = svc.import_definition(simple_definition(), publish_it=True)
    v2 = svc.clone(v1, user=user)
    v3 = svc.clone(v1, user=user)
    svc.publish(v2, user=user, note="second")
    statuses = dict(Version.objects.values_list("number", "status"))
    assert statuses == {1: "retired", 2: "published", 3: "draft"}
    assert v3.pk in Version.objects.filter(status="draft").values_list("pk", flat=True)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"version.published", "version.retired", "version.cloned"} <= actions


def test_clone_copies_every_element_with_its_key(user):
    v1 = svc.import_definition(simple_definition(), publish_it=True)
    v2 = svc.clone(v1, user=user)
    assert v2.number == 2 and v2.status == "draft" and v2.cloned_from_id == v1.pk

    def shape(version):
        data = svc.export_version(version)
        data.pop("version")
        return data

    assert shape(v2) == shape(v1)
    assert svc.diff_versions(v1, v2).is_empty


def test_rollback_publishes_an_earlier_version_again(user):
    v1 = svc.import_definition(simple_definition(), publish_it=True)
    v2 = svc.clone(v1)
    svc.publish(v2)
    svc.rollback(Version.objects.get(pk=v1.pk), user=user, note="v2 broke payroll")
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("published", "retired")
    assert v1.note == "v2 broke payroll"
    assert AuditEvent.objects.filter(action="version.rolled_back", version=v1).exists()


def test_rollback_of_a_draft_is_refused():
    version = svc.create_process("p", "P").versions.get()
    with pytest.raises(svc.DefinitionError, match="retired"):
        svc.rollback(version)


def test_delete_draft_only_deletes_drafts():
    v1 = svc.import_definition(simple_definition(), publish_it=True)
    v2 = svc.clone(v1)
    svc.delete_draft(v2)
    assert not Version.objects.filter(pk=v2.pk).exists()
    with pytest.raises(FrozenVersionError):
        svc.delete_draft(v1)


def test_delete_activity_removes_its_transitions():
    version = svc.import_definition(simple_definition())
    review = version.activities.get(key="review")
    svc.delete_activity(review)
    assert not Transition.objects.filter(version=version).filter(source__key="review").exists()
    assert sorted(version.transitions.values_list("key", flat=True)) == []


def test_transition_between_versions_is_refused():
    a = svc.create_process("a", "A").versions.get()
    b = svc.create_process("b", "B").versions.get()
    with pytest.raises(svc.DefinitionError, match="its own version"):
        svc.add_transition(a, a.activities.first(), b.activities.first())


def test_diff_reports_added_changed_and_moved_by_key():
    v1 = svc.import_definition(simple_definition(), publish_it=True)
    v2 = svc.clone(v1)
    svc.update_activity(v2.activities.get(key="review"), name="Manager review")
    svc.move_activity(v2.activities.get(key="start"), 99, 99)
    svc.add_activity(v2, "end", name="Cancelled", key="cancelled")
    result = svc.diff_versions(v1, v2)
    changes = {(c.key, c.change) for c in result.changes}
    assert ("review", "changed") in changes
    assert ("start", "moved") in changes
    assert ("cancelled", "added") in changes
    json.dumps(result.to_dict())


def test_export_then_import_round_trips_exactly():
    original = simple_definition()
    original["process"]["input_schema"] = {"type": "object"}
    v1 = svc.import_definition(copy.deepcopy(original), publish_it=True)
    exported = svc.export_version(v1)
    Process.objects.all().delete()
    v1_again = svc.import_definition(copy.deepcopy(exported))
    assert svc.export_version(v1_again)["activities"] == exported["activities"]
    assert svc.export_version(v1_again)["transitions"] == exported["transitions"]
    assert svc.export_version(v1_again)["process"] == exported["process"]
    # conditions come back canonical
    conditions = {t["key"]: t.get("condition", "") for t in exported["transitions"]}
    assert conditions == {"t1": "", "t2": "eq:APPROVED", "t3": "eq:REJECTED"}


def test_import_of_an_existing_process_adds_a_new_draft():
    svc.import_definition(simple_definition(), publish_it=True)
    version = svc.import_definition(simple_definition())
    assert (version.number, version.status) == (2, "draft")


def test_a_bad_file_lists_every_problem_and_imports_nothing():
    data = simple_definition()
    data["activities"][1]["kind"] = "robot"
    data["activities"].append({"key": "start", "kind": "end"})
    data["transitions"].append({"key": "t9", "source": "nowhere", "target": "ok"})
    data["process"]["code"] = "Bad Code"
    with pytest.raises(DefinitionFileError) as info:
        svc.import_definition(data)
    locations = {p["loc"] for p in info.value.problems}
    assert "activities[1].kind" in locations
    assert "process.code" in locations
    assert not Process.objects.exists()


def test_cross_reference_problems_are_located():
    data = simple_definition()
    data["activities"].append({"key": "start", "kind": "end"})
    data["transitions"].append({"key": "t9", "source": "nowhere", "target": "ok"})
    with pytest.raises(DefinitionFileError) as info:
        svc.import_definition(data)
    locations = {p["loc"] for p in info.value.problems}
    assert {"activities[4].key", "transitions[3].source"} <= locations


def test_import_with_publish_of_an_invalid_graph_imports_nothing():
    data = simple_definition()
    data["transitions"] = data["transitions"][:1]  # review can no longer reach an end
    with pytest.raises(svc.ValidationFailed):
        svc.import_definition(data, publish_it=True)
    assert not Process.objects.exists()


@pytest.mark.parametrize(
    "text, filename, expected",
    [
        ("{not json", "x.json", "line 1"),
        ("a: [b", "x.yaml", "line"),
        ("[1, 2]", "x.json", "one mapping"),
        (b"\xff\xfe", "x.json", "UTF-8"),
    ],
)
def test_unreadable_files_get_a_clear_error(text, filename, expected):
    with pytest.raises(DefinitionFileError) as info:
        svc.import_text(text, filename=filename)
    assert expected in str(info.value)


def test_yaml_import_of_the_demo_process(settings):
    from pathlib import Path

    text = (Path(settings.BASE_DIR) / "engine/fixtures/demo_expense.yaml").read_text()
    version = svc.import_text(text, filename="demo.yaml")
    assert version.process.code == "expense-approval"
    assert version.activities.count() == 6


def test_restore_snapshot_replaces_the_draft():
    version = svc.import_definition(simple_definition())
    before = svc.export_version(version)
    svc.update_activity(version.activities.get(key="review"), name="Renamed")
    svc.restore_snapshot(version, before)
    assert version.activities.get(key="review").name == "Review"
    assert svc.export_version(version)["transitions"] == before["transitions"]
