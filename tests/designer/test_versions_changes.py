"""How a diff is presented: rows, values, marks for both graphs (no database)."""

from designer.versions import changes
from engine.core.diff import ElementChange, FieldChange, VersionDiff
from engine.core.graph import RetryPolicy


def sample() -> VersionDiff:
    return VersionDiff(
        (
            ElementChange("activity", "pay", "Pay", "removed"),
            ElementChange("activity", "check", "Check", "added"),
            ElementChange(
                "activity",
                "review",
                "Check receipt",
                "changed",
                (FieldChange("name", "Review", "Check receipt"), FieldChange("x", 10.0, 40.0)),
            ),
            ElementChange("activity", "end", "End", "moved", (FieldChange("y", 1.0, 2.5),)),
            ElementChange(
                "transition",
                "t1",
                "t1",
                "changed",
                (FieldChange("condition", "", "data.amount > 10"),),
            ),
        )
    )


def test_rows_come_in_a_stable_order_with_symbols_and_anchors():
    rows = changes.change_rows(sample())
    assert [(r.change, r.key) for r in rows] == [
        ("added", "check"),
        ("removed", "pay"),
        ("changed", "review"),
        ("changed", "t1"),
        ("moved", "end"),
    ]
    review = rows[2]
    assert review.symbol == "✎" and review.anchor == "change-activity-review"
    assert [(f.label, f.old, f.new, f.layout_only) for f in review.fields] == [
        ("name", "Review", "Check receipt", False),
        ("position x", "10", "40", True),
    ]
    assert rows[3].node_or_edge == "edge"


def test_values_are_shown_as_short_text():
    assert changes.show_value(None) == "—"
    assert changes.show_value(("a", "b")) == "a, b"
    assert changes.show_value(2.5) == "2.5"
    assert changes.show_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert '"max_attempts": 3' in changes.show_value(RetryPolicy())


def test_marks_put_removed_on_the_old_side_added_on_the_new_and_the_rest_on_both():
    old, new = changes.graph_marks(sample())
    assert old.node_classes == {
        "pay": ["diff-removed"],
        "review": ["diff-changed"],
        "end": ["diff-moved"],
    }
    assert new.node_classes == {
        "check": ["diff-added"],
        "review": ["diff-changed"],
        "end": ["diff-moved"],
    }
    assert old.node_badges["pay"] == "−" and new.node_badges["check"] == "+"
    assert old.edge_classes == new.edge_classes == {"t1": ["diff-changed"]}


def test_hiding_layout_leaves_no_moved_marks():
    old, new = changes.graph_marks(sample().without_layout())
    assert "end" not in old.node_classes and "end" not in new.node_classes
    summary = {s["change"]: s["count"] for s in changes.summary(sample().without_layout())}
    assert summary == {"added": 1, "removed": 1, "changed": 2, "moved": 0}


def test_transitions_are_named_by_their_route():
    from engine.core.graph import Activity, ActivityKind, Graph, Transition

    graph = Graph(
        [
            Activity(key="a", kind=ActivityKind.START, name="Start"),
            Activity(key="b", kind=ActivityKind.END),
        ],
        [Transition(key="t", source="a", target="b")],
    )
    diff = VersionDiff((ElementChange("transition", "t", "", "added"),))
    row = changes.change_rows(diff, changes.routes(graph))[0]
    assert row.name == "Start → b" and row.route == ""


def test_natural_width_reads_the_viewbox():
    assert changes.natural_width('<svg viewBox="0.00 0.00 471.50 188.00">') == 471.5
    assert changes.natural_width("<svg>") is None
