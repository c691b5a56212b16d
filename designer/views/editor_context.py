"""What each fragment of the editor shows, built only when that fragment is drawn.

The editor page is made of fragments (templates/designer/editor.html): the
canvas, the properties panel, the problems panel, the history buttons with
the palette, and the table view. Each has one builder here that returns the
context it shows and nothing more, so the problems panel never runs Graphviz
and the canvas never loads undo history. ``editor_context`` joins them for
the whole ``#editor`` fragment that changes answer with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from designer import models as history
from designer.forms import activity_form, transition_form
from designer.views.editor_kinds import kind_choices, next_kinds
from designer.views.retry_panel import retry_context
from designer.views.trigger_panel import TriggerPanel, triggers_context
from engine.conf import condition_strategy
from engine.drawing import DrawingError, version_svg
from engine.models import Activity, ActivityKind, Transition, Version
from engine.services import definitions as svc

DESIGN = "engine.design_process"
PUBLISH = "engine.publish_process"
KEY = "__KEY__"  # placeholder in element URLs, replaced per row (and by editor.js)

Selection = tuple[str, str]  # ("a" | "t", key)


def can_edit(request: HttpRequest, version: Version) -> bool:
    return version.is_draft and request.user.has_perm(DESIGN)


def editor_urls(version: Version) -> dict[str, str]:
    """The editor's endpoints; per-element ones carry ``__KEY__`` for the element key."""
    args = (version.process.code, version.number)
    names = ("editor", "canvas", "problems", "activity_add", "transition_add", "undo", "redo")
    direct = ("activity_drop", "selection_move", "selection_delete", "copy", "duplicate", "paste")
    urls = {name: reverse(f"designer:{name}", args=args) for name in (*names, *direct, "layout")}
    for name in ("activity", "activity_move", "activity_delete", "transition", "transition_delete"):
        urls[name] = reverse(f"designer:{name}", args=(*args, KEY))
    for name in ("activity_next", "activity_rename", "activity_kind"):  # the context pad
        urls[name] = reverse(f"designer:{name}", args=(*args, KEY))
    # The versions pages are optional: the editor works without them.
    for name, route, route_args in (
        ("clone", "versions:clone", args),
        ("publish", "versions:publish", args),
        ("versions", "versions:list", args[:1]),
    ):
        try:
            urls[name] = reverse(route, args=route_args)
        except NoReverseMatch:
            urls[name] = ""
    return urls


# Elements ----------------------------------------------------------------------------


@dataclass
class Keys:
    """The element keys of a version: enough to place a problem or check a selection."""

    activities: set[str] = field(default_factory=set)
    transitions: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, version: Version) -> Keys:
        return cls(
            set(version.activities.values_list("key", flat=True)),
            set(version.transitions.values_list("key", flat=True)),
        )

    def element(self, key: str | None) -> str:
        """'a', 't' or '' (the version as a whole)."""
        if key in self.activities:
            return "a"
        if key in self.transitions:
            return "t"
        return ""

    def existing(self, selected: Selection | None) -> Selection | None:
        """The selection if its element still exists (it may have just been deleted)."""
        if not selected:
            return None
        keys = self.activities if selected[0] == "a" else self.transitions
        return selected if selected[1] in keys else None


@dataclass
class Elements:
    """The rows the table view and the properties panel show, linked in memory."""

    activities: list[Activity]
    transitions: list[Transition]

    @classmethod
    def of(cls, version: Version, urls: dict[str, str]) -> Elements:
        activities = list(version.activities.all())
        transitions = list(version.transitions.all())
        by_pk = {a.pk: a for a in activities}
        # URLs by substitution rather than one reverse() per row: big graphs stay fast.
        for a in activities:
            a.outgoing_list = []
            a.select_url = urls["activity"].replace(KEY, a.key)
        for t in transitions:
            t.select_url = urls["transition"].replace(KEY, t.key)
            # Reuse the loaded activities instead of one query per transition end.
            t.source, t.target = by_pk[t.source_id], by_pk[t.target_id]
            t.source.outgoing_list.append(t)
        return cls(activities, transitions)

    @property
    def keys(self) -> Keys:
        return Keys({a.key for a in self.activities}, {t.key for t in self.transitions})


# Fragments -------------------------------------------------------------------------------


@dataclass
class Marks:
    """CSS classes the canvas puts on elements: problems and the selection."""

    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: dict[str, list[str]] = field(default_factory=dict)

    def add(self, element: str, key: str, css: str) -> None:
        target = self.nodes if element == "a" else self.edges
        target.setdefault(key, []).append(css)


def problems_context(version: Version, keys: Keys, urls: dict[str, str]) -> dict:
    """The problems panel: every problem, linked to its element when it has one."""
    problems = []
    for problem in svc.validate_version(version):
        element = keys.element(problem.key)
        url = ""
        if element:
            url = urls["activity" if element == "a" else "transition"].replace(KEY, problem.key)
        problems.append({"problem": problem, "element": element, "url": url})
    return {
        "problems": problems,
        "error_count": sum(1 for p in problems if p["problem"].severity == "error"),
    }


def canvas_context(version: Version, problems: list[dict], selected: Selection | None) -> dict:
    """The canvas: the graph as SVG, problems and the selection marked on it."""
    marks = Marks()
    for item in problems:
        if item["element"]:
            marks.add(item["element"], item["problem"].key, f"has-{item['problem'].severity}")
    if selected:
        marks.add(*selected, "selected")
    try:
        svg = version_svg(
            version, node_classes=marks.nodes, edge_classes=marks.edges, interactive=True
        )
    except DrawingError as exc:
        return {"svg": "", "drawing_error": str(exc)}
    return {"svg": svg, "drawing_error": ""}


def properties_context(
    elements: Elements, selected: Selection | None, *, editable: bool, form=None, notice=None
) -> dict:
    """The properties panel: the selected element and its form (read-only when not editable)."""
    selected_activity = selected_transition = None
    if selected and selected[0] == "a":
        selected_activity = next(a for a in elements.activities if a.key == selected[1])
        form = form or activity_form(selected_activity)
    elif selected:
        selected_transition = next(t for t in elements.transitions if t.key == selected[1])
        form = form or transition_form(selected_transition, elements.activities)
    if form is not None and not editable:
        for form_field in form.fields.values():
            form_field.disabled = True
    return {
        "selected_activity": selected_activity,
        "selected_transition": selected_transition,
        "form": form,
        "notice": notice,
        "activities": elements.activities,  # the "Connect to…" choices
        # The context pad: what may follow the selection, what it may become.
        "next_kinds": next_kinds(selected_activity.kind) if selected_activity else [],
        "kind_changes": kind_choices(selected_activity.kind) if selected_activity else [],
        "strategy": condition_strategy(),
    }


def history_context(version: Version, *, editable: bool) -> dict:
    """The toolbar: the palette and the undo and redo buttons with what they would do."""
    return {
        "kinds": ActivityKind.choices,
        "undo_step": history.last_step(version, history.EditStep.UNDO) if editable else None,
        "redo_step": history.last_step(version, history.EditStep.REDO) if editable else None,
    }


def table_context(request: HttpRequest, elements: Elements) -> dict:
    """The table view: the same graph as lists, open if it was open before the change."""
    return {
        "activities": elements.activities,
        "transitions": elements.transitions,
        "table_open": "table" in (request.GET.get("view"), request.POST.get("view")),
    }


# Whole views -----------------------------------------------------------------------------


def frame_context(
    request: HttpRequest, version: Version, selected: Selection | None, urls: dict[str, str]
) -> dict:
    """What every fragment's frame needs: the version, the rights and the endpoints."""
    return {
        "version": version,
        "process": version.process,
        "editable": can_edit(request, version),
        "may_design": request.user.has_perm(DESIGN),
        "may_publish": request.user.has_perm(PUBLISH),
        "urls": urls,
        "selected": f"{selected[0]}:{selected[1]}" if selected else "",
        "nav": "processes",
    }


def editor_context(
    request: HttpRequest,
    version: Version,
    *,
    selected: Selection | None = None,
    form=None,
    notice=None,
    triggers: TriggerPanel | None = None,
    retry_form=None,
) -> dict:
    """The whole ``#editor`` fragment (and page): every fragment's context together."""
    urls = editor_urls(version)
    elements = Elements.of(version, urls)
    selected = elements.keys.existing(selected)
    context = frame_context(request, version, selected, urls)
    editable = context["editable"]
    problems = problems_context(version, elements.keys, urls)
    context.update(problems)
    context.update(canvas_context(version, problems["problems"], selected))
    context.update(
        properties_context(elements, selected, editable=editable, form=form, notice=notice)
    )
    context.update(history_context(version, editable=editable))
    context.update(table_context(request, elements))
    context.update(triggers_context(version, editable=editable, panel=triggers))
    context.update(retry_context(version, editable=editable, form=retry_form))
    return context


def canvas_only(request: HttpRequest, version: Version, selected: Selection | None) -> dict:
    """The canvas fragment: problems are validated for their marks, nothing else is loaded."""
    urls = editor_urls(version)
    keys = Keys.of(version)
    selected = keys.existing(selected)
    context = frame_context(request, version, selected, urls)
    problems = problems_context(version, keys, urls)["problems"]
    context.update(canvas_context(version, problems, selected))
    return context


def problems_only(request: HttpRequest, version: Version) -> dict:
    """The problems panel fragment: validation only, no Graphviz."""
    urls = editor_urls(version)
    context = frame_context(request, version, None, urls)
    context.update(problems_context(version, Keys.of(version), urls))
    return context
