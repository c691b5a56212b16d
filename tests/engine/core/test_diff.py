import json
from dataclasses import replace

from engine.core.diff import diff
from engine.core.graph import Graph
from tests.engine.core.factories import graph


def modified(g: Graph, activities=None, transitions=None, drop=()) -> Graph:
    acts = {k: v for k, v in g.activities.items() if k not in drop}
    for key, changes in (activities or {}).items():
        acts[key] = replace(acts[key], **changes)
    trans = {k: v for k, v in g.transitions.items() if k not in drop}
    for key, changes in (transitions or {}).items():
        trans[key] = replace(trans[key], **changes)
    return Graph(acts.values(), trans.values())


def test_identical_graphs_have_no_changes():
    g = graph("start>a, a>end")
    assert diff(g, g).is_empty
    assert diff(g, g).summary == {"added": 0, "removed": 0, "changed": 0, "moved": 0}


def test_changes_are_matched_by_key_and_classified():
    old = graph("start>a, a>end, a>b, b>end")
    new = modified(
        old,
        activities={"a": {"name": "Renamed"}, "b": {"x": 10.0, "y": 20.0}},
        transitions={"a>end": {"condition": "eq:A"}},
        drop=("b>end",),
    )
    result = diff(old, new)
    by_key = {(c.element, c.key): c for c in result.changes}
    assert by_key[("activity", "a")].change == "changed"
    assert by_key[("activity", "a")].fields[0].field == "name"
    assert by_key[("activity", "b")].change == "moved"
    assert by_key[("transition", "a>end")].fields[0].new == "eq:A"
    assert by_key[("transition", "b>end")].change == "removed"
    assert result.summary == {"added": 0, "removed": 1, "changed": 2, "moved": 1}


def test_added_elements_and_layout_filter():
    old = graph("start>end")
    new = modified(graph("start>a, a>end, start>end"), activities={"start": {"x": 5.0}})
    result = diff(old, new)
    assert {(c.key, c.change) for c in result.changes} >= {("a", "added"), ("start>a", "added")}
    assert ("start", "moved") in {(c.key, c.change) for c in result.changes}
    assert "moved" not in {c.change for c in result.without_layout().changes}


def test_a_change_with_a_move_keeps_both_in_its_fields_but_layout_filter_drops_xy():
    old = graph("start>a, a>end")
    new = modified(old, activities={"a": {"name": "N", "x": 3.0}})
    [change] = diff(old, new).changes
    assert change.change == "changed" and change.moved
    [filtered] = diff(old, new).without_layout().changes
    assert [f.field for f in filtered.fields] == ["name"]


def test_diff_is_json_serializable():
    old = graph("start>a, a>end", a={"kind": "human", "outcomes": ("A",)})
    new = modified(old, activities={"a": {"outcomes": ("A", "B")}})
    data = json.loads(json.dumps(diff(old, new).to_dict()))
    assert data["changes"][0]["fields"][0] == {"field": "outcomes", "old": ["A"], "new": ["A", "B"]}
