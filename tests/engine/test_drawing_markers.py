"""Triggers drawn as start markers: one per trigger, a shape per kind, a dashed edge to start."""

import xml.etree.ElementTree as ET

import pytest

from engine import drawing
from engine.services import definitions as svc
from engine.services import triggers as trigger_service

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def cold_caches():
    drawing.clear_caches()
    yield
    drawing.clear_caches()


def draft(code: str, *keys: str, pinned: bool = True):
    version = svc.create_process(code, code.title()).versions.get()
    if pinned:
        svc.move_activity(version.activities.get(key="start"), 60, 120)
        svc.move_activity(version.activities.get(key="end"), 300, 120)
    for key in keys:
        trigger_service.add_trigger(version, key, kind="schedule", cron="0 7 * * *")
    return version


def markers(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {
        g.get("data-trigger"): g
        for g in root.iter(f"{SVG}g")
        if "trigger-marker" in (g.get("class") or "").split()
    }


def edges(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [g.get("data-trigger") for g in root.iter(f"{SVG}g") if g.get("class") == "trigger-edge"]


@pytest.mark.parametrize("pinned", [True, False])
def test_each_trigger_is_a_marker_joined_to_the_start_activity(pinned):
    version = draft("nightly", "nightly", "weekly", pinned=pinned)
    svg = drawing.version_svg(version, interactive=True)
    found = markers(svg)
    assert set(found) == {"nightly", "weekly"}
    assert found["nightly"].get("class") == "trigger-marker trigger-schedule"
    assert found["nightly"].get("role") == "button"
    assert found["nightly"].find(f"{SVG}title").text == "Trigger nightly (schedule)"
    assert sorted(edges(svg)) == ["nightly", "weekly"]
    # Markers are neither activities nor transitions: the editor never selects or moves them.
    root = ET.fromstring(svg)
    keys = {g.get("data-key") for g in root.iter(f"{SVG}g") if g.get("data-key")}
    assert "nightly" not in keys


def test_pinned_markers_sit_left_of_the_start_activity():
    svg = drawing.version_svg(draft("nightly", "nightly"))
    marker = markers(svg)["nightly"].find(f"{SVG}ellipse")
    root = ET.fromstring(svg)
    start = next(g for g in root.iter(f"{SVG}g") if g.get("data-key") == "start")
    assert float(marker.get("cx")) < float(start.find(f"{SVG}ellipse").get("cx"))


def test_drafts_that_differ_only_by_trigger_keys_keep_their_own_markers():
    first, second = draft("first", "nightly"), draft("second", "weekly")
    assert set(markers(drawing.version_svg(first))) == {"nightly"}
    assert set(markers(drawing.version_svg(second))) == {"weekly"}
    trigger_service.delete_trigger(first.triggers.get())
    assert markers(drawing.version_svg(first)) == {}


def test_triggers_can_be_left_out_of_a_drawing():
    version = draft("nightly", "nightly")
    assert markers(drawing.version_svg(version, triggers=False)) == {}
    assert "m0" not in drawing.version_dot(draft("plain"))
