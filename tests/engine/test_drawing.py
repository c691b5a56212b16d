"""engine.drawing: the SVG contract the designer and monitoring pages rely on."""

import os
import re
import xml.etree.ElementTree as ET

import pytest

from engine import drawing
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def cold_caches():
    drawing.clear_caches()
    yield
    drawing.clear_caches()


@pytest.fixture
def version():
    process = svc.create_process("leave", "Leave request")
    v = process.versions.get()
    start = v.activities.get(key="start")
    end = v.activities.get(key="end")
    review = svc.add_activity(v, "human", key="review", name="Review", x=180, y=120)
    gate = svc.add_activity(v, "exclusive", key="ok", name="OK?", x=300, y=120)
    v.transitions.all().delete()
    svc.add_transition(v, start, review, key="t_in")
    svc.add_transition(v, review, gate, key="t_gate")
    svc.add_transition(v, gate, end, key="t_yes", condition="APPROVED")
    return v


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root, cls):
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def test_every_activity_and_transition_is_a_group_with_its_key(version):
    root = parse(drawing.version_svg(version))
    assert root.get("class") == "process-graph"
    nodes = {g.get("data-key"): g.get("class").split() for g in groups(root, "activity")}
    assert set(nodes) == {"start", "end", "review", "ok"}
    assert {"node", "activity", "kind-human"} <= set(nodes["review"])
    assert "kind-exclusive" in nodes["ok"]
    edges = {g.get("data-key"): g for g in groups(root, "transition")}
    assert set(edges) == {"t_in", "t_gate", "t_yes"}
    assert edges["t_gate"].get("data-source") == "review"
    assert edges["t_gate"].get("data-target") == "ok"
    assert "edge" in edges["t_yes"].get("class").split()


def test_markup_is_inline_ready(version):
    svg = drawing.version_svg(version)
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<!--" not in svg
    root = parse(svg)
    assert root.get("width") is None and root.get("height") is None
    assert root.get("viewBox")


def test_edge_label_shows_the_normalized_condition(version):
    root = parse(drawing.version_svg(version))
    edge = next(g for g in groups(root, "transition") if g.get("data-key") == "t_yes")
    texts = [t.text for t in edge.iter(f"{SVG}text")]
    assert "eq:APPROVED" in texts


def test_extra_classes_and_badges(version):
    svg = drawing.version_svg(
        version,
        node_classes={"review": ["done", "visited"]},
        edge_classes={"t_in": {"taken"}},
        node_badges={"review": 3},
    )
    root = parse(svg)
    review = next(g for g in groups(root, "activity") if g.get("data-key") == "review")
    assert {"done", "visited"} <= set(review.get("class").split())
    badge = groups(review, "badge")
    assert [t.text for t in badge[0].iter(f"{SVG}text")] == ["3"]
    edge = next(g for g in groups(root, "transition") if g.get("data-key") == "t_in")
    assert "taken" in edge.get("class").split()


def test_a_string_of_classes_is_split_into_words_not_characters(version):
    svg = drawing.version_svg(version, node_classes={"review": "state-done path-taken"})
    review = next(g for g in groups(parse(svg), "activity") if g.get("data-key") == "review")
    classes = set(review.get("class").split())
    assert {"state-done", "path-taken"} <= classes
    assert "s" not in classes


def test_interactive_adds_keyboard_and_hit_affordances(version):
    plain = parse(drawing.version_svg(version))
    assert not any(g.get("tabindex") for g in groups(plain, "activity"))
    root = parse(drawing.version_svg(version, interactive=True))
    review = next(g for g in groups(root, "activity") if g.get("data-key") == "review")
    assert review.get("tabindex") == "0"
    assert review.get("role") == "button"
    assert review.get("aria-label") == "Review, Human task"
    edge = groups(root, "transition")[0]
    assert edge.find(f"{SVG}path[@class='hit']") is not None


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        '"><svg onload=alert(1)>',
        "<b>bold</b>",
        "back\\slash \\n \\N & ampersand",
    ],
)
def test_user_text_is_escaped_in_labels_and_ids(version, name):
    svc.update_activity(version.activities.get(key="review"), name=name)
    transition = version.transitions.get(key="t_yes")
    svc.update_transition(transition, name=name)
    svg = drawing.version_svg(version, interactive=True)
    root = parse(svg)  # still well-formed XML
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}b"))
    assert all("onload" not in el.attrib for el in root.iter())
    review = next(g for g in groups(root, "activity") if g.get("data-key") == "review")
    shown = "".join(t.text or "" for t in review.iter(f"{SVG}text"))
    # The label is the text as typed (wrapped over lines), nothing interpreted.
    assert shown.replace(" ", "") == name.replace(" ", "")
    for el in root.iter():
        assert name not in (el.get("id") or "")


def test_layout_auto_keeps_pinned_positions(version):
    svg = drawing.version_svg(version)
    root = parse(svg)
    review = next(g for g in groups(root, "activity") if g.get("data-key") == "review")
    outline = review.find(f"{SVG}path")
    box = drawing.svg.shape_box(review)
    assert outline is not None
    # The node is centred where it was stored (screen coordinates).
    assert (box[0] + box[2]) / 2 == pytest.approx(180, abs=1)
    assert (box[1] + box[3]) / 2 == pytest.approx(120, abs=1)


def test_missing_positions_fall_back_to_dot_layout(version):
    svc.add_activity(version, "automatic", key="nopos", name="No position")
    dot = drawing.version_dot(version)
    assert "pos=" not in dot
    pinned = drawing.version_dot(version.process.versions.get(), layout="dot")
    assert "pos=" not in pinned
    assert "class" not in dot.split("digraph", 1)[0]


def test_unknown_layout_is_refused(version):
    with pytest.raises(ValueError, match="Unknown layout"):
        drawing.version_svg(version, layout="circo")


def test_dot_ids_never_contain_user_text(version):
    svc.update_activity(version.activities.get(key="review"), name='x" -> evil [label="y')
    dot = drawing.version_dot(version)
    assert 'x\\" -> evil [label=\\"y' in dot
    statements = [line.strip() for line in dot.splitlines() if re.match(r"^\s*n\d", line)]
    assert len(statements) == 4 + 3
    assert all(re.match(r"^n\d+( -> n\d+)? \[", line) for line in statements)
    assert all(re.search(r"[ []id=[ne]\d+[ \]]", line) for line in statements)


def test_auto_layout_positions_cover_every_activity_left_to_right(version):
    positions = drawing.auto_layout_positions(version)
    assert set(positions) == {"start", "end", "review", "ok"}
    assert positions["start"][0] < positions["review"][0] < positions["ok"][0]
    assert positions["ok"][0] < positions["end"][0]
    assert all(y >= 0 for _, y in positions.values())


def test_renders_are_cached_by_content(version, monkeypatch):
    calls = []
    real = drawing.runner.run_graphviz

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(drawing.runner, "run_graphviz", counting)
    first = drawing.version_svg(version)
    assert drawing.version_svg(version) == first
    # Other decorations reuse the layout: Graphviz runs once.
    drawing.version_svg(version, node_classes={"review": ["active"]})
    assert len(calls) == 1
    svc.move_activity(version.activities.get(key="review"), 200, 140)
    drawing.version_svg(version)
    assert len(calls) == 2


def edge_keys(svg: str) -> set[str]:
    return {g.get("data-key") for g in groups(parse(svg), "transition")}


def node_keys(svg: str) -> set[str]:
    return {g.get("data-key") for g in groups(parse(svg), "activity")}


def test_drafts_of_the_same_shape_share_a_layout_but_each_carries_its_own_keys(monkeypatch):
    calls = []
    real = drawing.runner.run_graphviz

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(drawing.runner, "run_graphviz", counting)
    first = svc.create_process("first", "First").versions.get()
    second = svc.create_process("second", "Second").versions.get()
    first_key = first.transitions.get().key
    second_key = second.transitions.get().key
    assert first_key != second_key

    for interactive in (False, True):
        assert edge_keys(drawing.version_svg(first, interactive=interactive)) == {first_key}
        assert edge_keys(drawing.version_svg(second, interactive=interactive)) == {second_key}
    assert len(calls) == 1  # one Graphviz run: the layout is shared by shape


def test_an_arrow_drawn_again_carries_its_new_key():
    draft = svc.create_process("again", "Again").versions.get()
    arrow = draft.transitions.get()
    assert edge_keys(drawing.version_svg(draft, interactive=True)) == {arrow.key}
    svc.delete_transition(arrow)
    redrawn = svc.add_transition(
        draft, draft.activities.get(key="start"), draft.activities.get(key="end")
    )

    assert edge_keys(drawing.version_svg(draft, interactive=True)) == {redrawn.key}


def test_activities_of_the_same_shape_carry_their_own_keys():
    first = svc.create_process("first", "First").versions.get()
    second = svc.create_process("second", "Second").versions.get()
    svc.add_activity(first, "human", key="check_a", name="Check")
    svc.add_activity(second, "human", key="check_b", name="Check")

    assert "check_a" in node_keys(drawing.version_svg(first))
    assert "check_b" in node_keys(drawing.version_svg(second))
    assert "check_a" not in node_keys(drawing.version_svg(second))


def test_large_graph_with_pins_renders(db):
    process = svc.create_process("big", "Big")
    v = process.versions.get()
    previous = v.activities.get(key="start")
    for i in range(40):
        current = svc.add_activity(
            v,
            "automatic",
            key=f"a{i}",
            name=f"Step {i}",
            x=100 + 150 * (i % 8),
            y=200 + 90 * (i // 8),
        )
        svc.add_transition(v, previous, current)
        previous = current
    root = parse(drawing.version_svg(v))
    assert len(groups(root, "activity")) == 42


def test_without_a_lite_plugin_directory_graphviz_runs_as_installed(version, monkeypatch):
    monkeypatch.setattr(drawing.runner, "PLUGIN_GLOBS", ("/nonexistent/graphviz",))
    assert drawing.runner.lite_plugin_env() is None
    drawing.runner.graphviz_env.cache_clear()
    try:
        monkeypatch.setattr(drawing.runner, "lite_plugin_env", lambda: None)
        root = parse(drawing.version_svg(version))
        assert len(groups(root, "activity")) == 4
    finally:
        drawing.runner.graphviz_env.cache_clear()


def test_graphviz_missing_is_a_clear_error(version, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    drawing.runner.graphviz_env.cache_clear()
    monkeypatch.setattr(drawing.runner, "graphviz_env", lambda: None)
    with pytest.raises(drawing.DrawingError, match="Graphviz is not installed"):
        drawing.version_svg(version)


def test_an_empty_draft_still_draws(version):
    for activity in list(version.activities.all()):
        svc.delete_activity(activity)
    root = parse(drawing.version_svg(version, interactive=True))
    assert root.get("class") == "process-graph"
    assert groups(root, "activity") == []
    assert drawing.auto_layout_positions(version) == {}


def test_a_plugin_directory_that_is_not_ours_alone_is_not_used(monkeypatch, tmp_path):
    planted = tmp_path / "planted"
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)
    (planted / "config6a").write_text("")
    monkeypatch.setattr(drawing.runner.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(drawing.runner.os, "getuid", lambda: os.stat(planted).st_uid)
    (tmp_path / f"waymark-graphviz-{os.stat(planted).st_uid}").symlink_to(planted)
    assert drawing.runner.lite_plugin_env() is None


def test_a_vanished_plugin_directory_falls_back_to_the_installed_graphviz(version, monkeypatch):
    monkeypatch.setattr(
        drawing.runner, "graphviz_env", _cached({**os.environ, "GVBINDIR": "/gone"})
    )
    root = parse(drawing.version_svg(version))
    assert len(groups(root, "activity")) == 4


def _cached(value):
    import functools

    @functools.cache
    def env():
        return value

    return env
