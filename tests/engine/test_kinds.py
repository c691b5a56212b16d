"""The table of activity kinds and the cached graph of a version."""

from __future__ import annotations

from dataclasses import fields

import pytest

from engine.core import graph as core
from engine.core.kinds import (
    COMMON_FIELDS,
    EDITABLE_FIELDS,
    FIELDS,
    KINDS,
    RETRY_FIELDS,
    Wake,
    fields_of,
    kind_spec,
)
from engine.definition_format import ActivitySpec
from engine.models import Activity, Version
from engine.models.definitions import clear_graph_cache
from tests.engine.conftest import deploy


def test_every_kind_has_an_entry_and_every_field_is_stored():
    assert set(KINDS) == set(core.ActivityKind)
    stored = {f.name for f in Activity._meta.get_fields()}
    assert set(FIELDS) <= stored
    # The pure Activity holds the same fields, the retry numbers as one policy.
    pure = {f.name for f in fields(core.Activity)} - {"key", "kind", "retry"}
    assert pure == set(FIELDS) - set(RETRY_FIELDS)
    # A definition file may carry every one of them.
    spec = set(ActivitySpec.model_fields) - {"key", "kind", "retry"}
    assert spec == pure


def test_what_wakes_each_kind():
    assert {k for k, s in KINDS.items() if s.passes_through} == {
        core.ActivityKind.START,
        core.ActivityKind.END,
        core.ActivityKind.EXCLUSIVE,
        core.ActivityKind.PARALLEL,
    }
    assert kind_spec("human").wakes == Wake.PERSON
    assert kind_spec("automatic").wakes == Wake.WORKER
    assert kind_spec("timer").wakes == Wake.TIMER
    assert kind_spec("signal").wakes == Wake.SIGNAL
    assert kind_spec("subprocess").wakes == Wake.CHILD_RUN
    assert {k for k, s in KINDS.items() if s.can_time_out} == {
        core.ActivityKind.HUMAN,
        core.ActivityKind.SIGNAL,
    }


def test_sla_fields_only_where_the_runtime_reads_them():
    # Only a human task gets SLA dates (the runtime sets them when it offers the task).
    having = {k for k, s in KINDS.items() if "sla_warn" in s.fields or "sla_duration" in s.fields}
    assert having == {core.ActivityKind.HUMAN}


def test_editable_fields_and_unknown_kind():
    assert EDITABLE_FIELDS[0] == "kind"
    assert set(EDITABLE_FIELDS[1:]) == set(FIELDS)
    assert kind_spec("start").all_fields == COMMON_FIELDS
    assert "handler" in fields_of("automatic")
    with pytest.raises(ValueError, match="unknown activity kind 'bogus'"):
        kind_spec("bogus")


@pytest.mark.django_db
def test_a_published_graph_is_cached_and_a_draft_is_read_fresh(django_assert_num_queries):
    clear_graph_cache()
    version = deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}], ["start>a", "a>end"]
    )
    version.refresh_from_db()  # (published by deploy)
    first = version.graph()
    with django_assert_num_queries(0):
        assert Version.graph_of(version.pk) is first
        assert version.graph() is first
    assert set(first.activities) == {"start", "a", "end"}

    from engine.services import definitions

    draft = definitions.clone(version)
    assert draft.graph() is not draft.graph()  # built afresh each time
    definitions.update_activity(draft.activities.get(key="a"), name="Renamed")
    assert draft.graph().activity("a").name == "Renamed"
    assert Version.graph_of(version.pk).activity("a").name == "a"
    clear_graph_cache()
