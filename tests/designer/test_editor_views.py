"""The editor's screens and actions through Django's test client (full page and HTMX)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from designer.models import EditStep
from engine.models import Activity, Transition
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BASE = "/processes/leave/versions/1/"


@pytest.fixture
def version():
    return svc.create_process("leave", "Leave request").versions.get()


@pytest.fixture
def designer(django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user("vera", password="pw-vera-123")
    client = Client()
    client.force_login(user)
    return client


def start_end(version):
    return version.transitions.get()


def text(response) -> str:
    return response.content.decode()


# Screens --------------------------------------------------------------------------


def test_editor_page_shows_canvas_palette_problems_and_table(designer, version):
    response = designer.get(BASE)
    assert response.status_code == 200
    body = text(response)
    assert "<!doctype html>" in body
    assert 'class="process-graph"' in body
    assert 'data-key="start"' in body
    assert 'name="kind" value="human"' in body
    assert 'id="problems"' in body
    assert 'aria-label="Activities"' in body
    assert "editor.js" in body


def test_htmx_request_gets_only_the_editor_fragment(designer, version):
    response = designer.get(BASE, **HX)
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="editor"')
    assert "<html" not in body


@pytest.mark.parametrize(
    "fragment, start",
    [("canvas/", '<div id="canvas-viewport"'), ("problems/", '<section id="problems"')],
)
def test_canvas_and_problems_fragments(designer, version, fragment, start):
    partial = designer.get(BASE + fragment, **HX)
    assert partial.status_code == 200
    assert text(partial).lstrip().startswith(start)
    assert "<html" not in text(partial)
    full = designer.get(BASE + fragment)
    assert full.status_code == 200 and "<!doctype html>" in text(full)


def test_selecting_an_activity_shows_its_properties(designer, version):
    full = designer.get(BASE + "activities/start/")
    assert full.status_code == 200 and "<!doctype html>" in text(full)
    partial = designer.get(BASE + "activities/start/", **HX)
    body = text(partial)
    assert 'name="activity-name"' in body
    assert re.search(r'class="node activity kind-start[^"]*selected', body)


def test_human_task_properties_have_every_field(designer, version):
    svc.add_activity(version, "human", key="review", name="Review", x=200, y=200)
    body = text(designer.get(BASE + "activities/review/", **HX))
    for field in (
        "roles",
        "allowed_users",
        "allowed_groups",
        "assignee",
        "outcomes",
        "form_schema",
        "sla_warn",
        "sla_duration",
    ):
        assert f'name="activity-{field}"' in body


@pytest.mark.parametrize(
    "kind, fields",
    [
        (
            "automatic",
            ["handler", "retry_max_attempts", "retry_base_delay", "compensation_handler"],
        ),
        ("timer", ["timer_duration", "timer_date_field"]),
        ("signal", ["signal_name", "correlation", "signal_timeout"]),
        ("subprocess", ["subprocess_code"]),
    ],
)
def test_each_kind_shows_its_fields(designer, version, kind, fields):
    svc.add_activity(version, kind, key="thing", x=200, y=200)
    body = text(designer.get(BASE + "activities/thing/", **HX))
    for field in fields:
        assert f'name="activity-{field}"' in body


@pytest.mark.parametrize("kind", ["automatic", "signal"])
def test_no_sla_fields_where_no_sla_is_tracked(designer, version, kind):
    # Only human tasks get SLA marks: the other kinds do not offer fields nothing reads.
    svc.add_activity(version, kind, key="thing", x=200, y=200)
    body = text(designer.get(BASE + "activities/thing/", **HX))
    assert 'name="activity-name"' in body
    assert "sla_warn" not in body and "sla_duration" not in body
    assert "SLA" not in body


def test_a_field_shows_its_label_help_and_required_mark(designer, version):
    svc.add_activity(version, "automatic", key="pay", name="Pay", x=200, y=200)
    body = text(designer.get(BASE + "activities/pay/", **HX))
    # Labels and help come from the table of kinds; the help is linked to its input.
    assert "Retry: max attempts" in body
    assert 'id="id_activity-handler_helptext"' in body
    assert 'aria-describedby="id_activity-handler_helptext"' in body
    assert re.search(r"Retry: max attempts <span class=\"required-mark\"", body)


def test_a_read_only_form_marks_nothing_required(viewer, version):
    body = text(viewer.get(BASE + f"transitions/{start_end(version).key}/", **HX))
    assert 'name="transition-priority"' in body
    assert "required-mark" not in body


def test_selecting_a_transition_shows_its_form(designer, version):
    key = start_end(version).key
    body = text(designer.get(BASE + f"transitions/{key}/", **HX))
    for field in ("name", "condition", "priority", "is_default", "source", "target"):
        assert f'name="transition-{field}"' in body


def test_unknown_elements_and_versions_are_404(designer, version):
    assert designer.get(BASE + "activities/nope/").status_code == 404
    assert designer.get(BASE + "transitions/nope/").status_code == 404
    assert designer.get("/processes/leave/versions/9/").status_code == 404
    assert designer.get("/processes/other/versions/1/").status_code == 404


def test_anonymous_people_are_sent_to_log_in(client, version):
    response = client.get(BASE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Changes ----------------------------------------------------------------------------


def test_add_from_the_palette_htmx_and_plain(designer, version):
    response = designer.post(BASE + "activities/add/", {"kind": "human"}, **HX)
    assert response.status_code == 200
    assert "HX-Trigger" not in response  # no client event: the #editor swap is the news
    added = version.activities.get(kind="human")
    assert added.name == "Human task" and added.x is not None
    assert f'data-selected="a:{added.key}"' in text(response)

    plain = designer.post(BASE + "activities/add/", {"kind": "timer", "sel": f"a:{added.key}"})
    assert plain.status_code == 302
    timer = version.activities.get(kind="timer")
    assert f"sel=a%3A{timer.key}" in plain["Location"]
    assert timer.x == pytest.approx(added.x + 170)


def test_bad_kind_is_refused_and_nothing_changes(designer, version):
    response = designer.post(BASE + "activities/add/", {"kind": "rocket"})
    assert response.status_code == 400
    assert "Choose a kind" in text(response)
    assert version.activities.count() == 2
    assert not EditStep.objects.exists()


def test_save_activity_properties(designer, version):
    svc.add_activity(version, "human", key="review", name="Review", x=200, y=200)
    data = {
        "activity-name": "Check it",
        "activity-description": "",
        "activity-x": "210",
        "activity-y": "220",
        "activity-roles": "clerks, managers",
        "activity-outcomes": "APPROVED,REJECTED",
        "activity-form_schema": '{"type": "object"}',
        "activity-sla_duration": "3d",
    }
    response = designer.post(BASE + "activities/review/", data, **HX)
    assert response.status_code == 200
    review = version.activities.get(key="review")
    assert review.name == "Check it"
    assert review.roles == ["clerks", "managers"]
    assert review.outcomes == ["APPROVED", "REJECTED"]
    assert review.form_schema == {"type": "object"}
    assert (review.x, review.y) == (210, 220)
    assert "Saved Check it" in text(response)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("activity-form_schema", "{not json", "Not valid JSON"),
        ("activity-form_schema", "[1, 2]", "must be a JSON object"),
        ("activity-sla_duration", "soon", ""),
        ("activity-x", "left", "Enter a number"),
        ("activity-x", "1e300", "less than or equal to"),
    ],
)
def test_bad_activity_input_is_explained_and_kept(designer, version, field, value, message):
    svc.add_activity(version, "human", key="review", name="Review", x=200, y=200)
    data = {"activity-name": "Renamed", "activity-x": "1", "activity-y": "2", field: value}
    response = designer.post(BASE + "activities/review/", data)
    assert response.status_code == 400
    body = text(response)
    assert "Not saved" in body and message in body
    assert 'value="Renamed"' in body  # what was typed is still there
    assert version.activities.get(key="review").name == "Review"


def test_condition_typed_loosely_comes_back_normalized(designer, version):
    key = start_end(version).key
    data = {
        "transition-name": "",
        "transition-condition": "IN: A , B",
        "transition-priority": "0",
        "transition-source": "start",
        "transition-target": "end",
    }
    response = designer.post(BASE + f"transitions/{key}/", data, **HX)
    body = text(response)
    assert "normalized to: in:A,B" in body
    assert 'value="in:A,B"' in body
    assert Transition.objects.get(key=key).condition == "in:A,B"


def test_invalid_condition_in_compatible_mode_is_kept_with_its_position(designer, version):
    key = start_end(version).key
    data = {
        "transition-condition": "instance.data.amount >",
        "transition-priority": "0",
        "transition-source": "start",
        "transition-target": "end",
    }
    body = text(designer.post(BASE + f"transitions/{key}/", data, **HX))
    assert "kept as typed" in body
    assert "condition-caret" in body and "position" in body
    assert "WM109" in body
    assert Transition.objects.get(key=key).condition == "instance.data.amount >"


def test_invalid_condition_in_strict_mode_is_refused(designer, version, settings):
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    key = start_end(version).key
    data = {
        "transition-condition": "x ==",
        "transition-priority": "0",
        "transition-source": "start",
        "transition-target": "end",
    }
    response = designer.post(BASE + f"transitions/{key}/", data)
    assert response.status_code == 400
    body = text(response)
    assert "condition-caret" in body and "Not saved" in body
    assert 'value="x =="' in body
    assert Transition.objects.get(key=key).condition == ""


def test_move_connect_delete_and_layout(designer, version):
    review = svc.add_activity(version, "human", key="review", name="Review", x=200, y=200)
    assert (
        designer.post(BASE + "activities/review/move/", {"dx": "15", "dy": "-5"}, **HX).status_code
        == 200
    )
    review.refresh_from_db()
    assert (review.x, review.y) == (215, 195)
    designer.post(BASE + "activities/review/move/", {"x": "300", "y": "310"})
    review.refresh_from_db()
    assert (review.x, review.y) == (300, 310)

    response = designer.post(
        BASE + "transitions/add/", {"source": "start", "target": "review"}, **HX
    )
    assert response.status_code == 200
    transition = version.transitions.get(target__key="review")
    assert f'data-selected="t:{transition.key}"' in text(response)

    designer.post(BASE + f"transitions/{transition.key}/delete/", **HX)
    assert not version.transitions.filter(target__key="review").exists()

    designer.post(BASE + "layout/", **HX)
    review.refresh_from_db()
    assert (review.x, review.y) != (300, 310)

    designer.post(BASE + "activities/review/delete/", **HX)
    assert not version.activities.filter(key="review").exists()


def test_bad_move_is_refused(designer, version):
    response = designer.post(BASE + "activities/start/move/", {"dx": "far"})
    assert response.status_code == 400
    assert version.activities.get(key="start").x == 60


def test_undo_and_redo(designer, version):
    designer.post(BASE + "activities/start/move/", {"x": "100", "y": "100"}, **HX)
    designer.post(BASE + "activities/add/", {"kind": "signal"}, **HX)
    assert version.activities.count() == 3

    response = designer.post(BASE + "undo/", **HX)
    assert "Undid: Add Wait for signal" in text(response)
    assert version.activities.count() == 2
    designer.post(BASE + "undo/", **HX)
    assert version.activities.get(key="start").x == 60
    nothing = designer.post(BASE + "undo/")
    assert nothing.status_code == 409 and "Nothing to undo" in text(nothing)

    designer.post(BASE + "redo/", **HX)
    assert version.activities.get(key="start").x == 100
    designer.post(BASE + "redo/", **HX)
    assert version.activities.count() == 3
    # A new edit forgets what could be redone.
    designer.post(BASE + "undo/", **HX)
    designer.post(BASE + "activities/start/move/", {"x": "5", "y": "5"}, **HX)
    assert "Nothing to redo" in text(designer.post(BASE + "redo/", **HX))


def test_refused_change_leaves_no_history(designer, version):
    response = designer.post(BASE + "transitions/add/", {"source": "start", "target": "ghost"})
    assert response.status_code == 404
    assert not EditStep.objects.exists()


# Permissions, tenancy, frozen versions ------------------------------------------------------


@pytest.mark.parametrize(
    "path, data",
    [
        ("activities/add/", {"kind": "human"}),
        ("activities/start/", {"activity-name": "X"}),
        ("activities/start/move/", {"x": "1", "y": "1"}),
        ("activities/start/delete/", {}),
        ("transitions/add/", {"source": "start", "target": "end"}),
        ("layout/", {}),
        ("undo/", {}),
        ("redo/", {}),
    ],
)
def test_people_without_design_permission_get_404_and_change_nothing(viewer, version, path, data):
    before = svc.export_version(version)
    assert viewer.post(BASE + path, data).status_code == 404
    assert svc.export_version(version) == before


def test_viewer_sees_a_read_only_draft(viewer, version):
    body = text(viewer.get(BASE))
    assert "Read-only" in body
    assert 'name="kind"' not in body


def test_get_only_screens_refuse_post(designer, version):
    assert designer.post(BASE + "canvas/").status_code == 405
    assert designer.get(BASE + "undo/").status_code == 405


def test_published_version_is_read_only(designer, version):
    svc.publish(version)
    body = text(designer.get(BASE))
    assert "Read-only" in body and "published" in body
    assert 'name="kind"' not in body
    assert "Clone to a new draft" in body
    response = designer.post(BASE + "activities/add/", {"kind": "human"})
    assert response.status_code == 409
    assert "Clone it to a new draft" in text(response)
    assert Activity.objects.filter(version=version).count() == 2
    response = designer.post(BASE + "activities/start/", {"activity-name": "Go"})
    assert response.status_code == 409
    assert version.activities.get(key="start").name == "Start"


def test_other_tenants_process_is_404(designer, version, settings):
    version.process.tenant_id = "acme"
    version.process.save()
    settings.WAYMARK_TENANT_RESOLVER = "tests.designer.test_editor_views.tenant_globex"
    assert designer.get(BASE).status_code == 404
    assert designer.post(BASE + "activities/add/", {"kind": "human"}).status_code == 404


def tenant_globex(who):
    return {"tenant_id": "globex"}


def test_user_text_is_escaped_in_page_and_svg(designer, version):
    svc.update_activity(version.activities.get(key="start"), name="<script>alert(1)</script>")
    body = text(designer.get(BASE + "activities/start/"))
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body


def test_moving_in_a_graph_without_positions_pins_every_activity_first(designer, version):
    svc.add_activity(version, "human", key="review", name="Review")  # no position: dot layout
    body = text(designer.get(BASE))
    assert 'data-key="review"' in body
    designer.post(BASE + "activities/review/move/", {"dx": "10", "dy": "0"}, **HX)
    assert not version.activities.filter(x__isnull=True).exists()
    undo = designer.post(BASE + "undo/", **HX)
    assert undo.status_code == 200
    assert version.activities.get(key="review").x is None


def test_a_graphviz_failure_is_explained_on_the_page(designer, version, monkeypatch):
    from engine import drawing

    def broken(*args, **kwargs):
        raise drawing.DrawingError(
            "Graphviz is not installed: install the 'graphviz' package (dot)."
        )

    drawing.clear_caches()
    monkeypatch.setattr(drawing.runner, "run_graphviz", broken)
    response = designer.get(BASE)
    assert response.status_code == 200
    assert "Graphviz is not installed" in text(response)
    assert 'aria-label="Activities"' in text(response)  # the table still works


def test_the_problems_panel_needs_no_graphviz(designer, version, monkeypatch):
    from engine import drawing

    def broken(*args, **kwargs):
        raise drawing.DrawingError("Graphviz is not installed.")

    drawing.clear_caches()
    monkeypatch.setattr(drawing.runner, "run_graphviz", broken)
    svc.add_activity(version, "automatic", key="pay", name="Pay", x=200, y=200)
    response = designer.get(BASE + "problems/", **HX)
    assert response.status_code == 200
    body = text(response)
    assert "Graphviz" not in body
    assert 'hx-get="' + BASE + 'activities/pay/"' in body  # the problem links to its activity
    # The canvas alone does draw, and says so when it cannot.
    assert "Graphviz is not installed" in text(designer.get(BASE + "canvas/", **HX))


def test_the_canvas_fragment_marks_problems_and_the_selection(designer, version):
    svc.add_activity(version, "automatic", key="pay", name="Pay", x=200, y=200)
    body = text(designer.get(BASE + "canvas/?sel=a:pay", **HX))
    assert re.search(
        r'class="node activity kind-automatic has-error selected"[^>]*data-key="pay"', body
    )
    assert "Undo" not in body and 'id="properties"' not in body
    gone = text(designer.get(BASE + "canvas/?sel=a:gone", **HX))
    assert "selected" not in gone


def test_address_bar_follows_the_selection(designer, version):
    response = designer.get(BASE + "activities/start/", **HX)
    assert response["HX-Replace-Url"] == BASE + "?sel=a%3Astart"
    assert designer.get(BASE, **HX)["HX-Replace-Url"] == BASE


def test_table_view_stays_open_across_changes(designer, version):
    response = designer.post(BASE + "activities/add/", {"kind": "human", "view": "table"}, **HX)
    assert 'id="table-view" open' in text(response)
    assert 'id="table-view" open' not in text(designer.get(BASE, **HX))
    assert 'id="table-view" open' in text(designer.get(BASE + "?view=table", **HX))
