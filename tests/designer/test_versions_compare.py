"""The compare page: defaults, pickers, marks on both graphs, change table, layout toggle."""

import re

import pytest
from django.urls import reverse

from engine.services import definitions

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "compare-result"}
COMPARE = reverse("versions:compare", args=("expenses",))


@pytest.fixture
def viewer(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("vera", password="pw-vera-123"))
    return client


def build():
    """v1 published: start -> review -> pay -> end; v2 draft clone with one change and one move."""
    process = definitions.create_process("expenses", "Expense approval")
    v1 = process.versions.get(number=1)
    for t in v1.transitions.all():
        definitions.delete_transition(t)
    start, end = v1.activities.get(key="start"), v1.activities.get(key="end")
    review = definitions.add_activity(v1, "human", name="Review", key="review", x=180, y=120)
    pay = definitions.add_activity(
        v1, "automatic", name="Pay", key="pay", handler="demo.pay", x=300, y=120
    )
    definitions.add_transition(v1, start, review, key="t_start")
    definitions.add_transition(v1, review, pay, key="t_pay")
    definitions.add_transition(v1, pay, end, key="t_end")
    definitions.publish(v1)
    v2 = definitions.clone(v1)
    definitions.update_activity(v2.activities.get(key="review"), name="Check receipt")
    definitions.move_activity(v2.activities.get(key="end"), 420, 200)
    return process, v1, v2


def node_classes(svg_html: str, key: str) -> list[str]:
    found = re.findall(rf'<g [^>]*class="([^"]*)"[^>]*data-key="{key}"', svg_html)
    found += re.findall(rf'<g [^>]*data-key="{key}"[^>]*class="([^"]*)"', svg_html)
    return found


def sides(body: str) -> tuple[str, str]:
    old = body.split('class="compare-side side-old"', 1)[1].split("</figure>", 1)[0]
    new = body.split('class="compare-side side-new"', 1)[1].split("</figure>", 1)[0]
    return old, new


def test_defaults_to_published_against_newest_draft(viewer):
    build()
    response = viewer.get(COMPARE)
    body = response.content.decode()
    assert response.status_code == 200
    assert "v1 → v2" in body
    assert re.search(r'<option value="1" selected>', body)
    assert re.search(r'<option value="2" selected>', body)


def test_change_table_and_marks_on_both_graphs(viewer):
    build()
    body = viewer.get(COMPARE, {"a": 1, "b": 2}).content.decode()
    assert 'id="change-activity-review"' in body
    assert "Review" in body and "Check receipt" in body
    assert 'id="change-activity-end"' in body  # the move
    old, new = sides(body)
    assert any("diff-changed" in c for c in node_classes(old, "review"))
    assert any("diff-changed" in c for c in node_classes(new, "review"))
    assert any("diff-moved" in c for c in node_classes(new, "end"))
    assert not any("diff-" in c for c in node_classes(new, "pay"))
    counts = dict(re.findall(r'data-change="(\w+)">.*?<span class="count">(\d+)</span>', body))
    assert counts == {"added": "0", "removed": "0", "changed": "1", "moved": "1"}
    assert "diff-legend" in body


def test_added_and_removed_elements_are_marked_on_their_side(viewer):
    process, v1, v2 = build()
    definitions.delete_activity(v2.activities.get(key="pay"))
    check = definitions.add_activity(
        v2, "automatic", name="Check budget", key="budget", handler="demo.pay"
    )
    definitions.add_transition(v2, v2.activities.get(key="review"), check, key="t_budget")
    body = viewer.get(COMPARE, {"a": 1, "b": 2}).content.decode()
    old, new = sides(body)
    assert any("diff-removed" in c for c in node_classes(old, "pay"))
    assert any("diff-added" in c for c in node_classes(new, "budget"))
    assert any("diff-added" in c for c in node_classes(new, "t_budget"))
    assert any("diff-removed" in c for c in node_classes(old, "t_pay"))
    assert 'id="change-activity-pay"' in body and 'id="change-transition-t_budget"' in body


def test_hide_layout_only_changes(viewer):
    build()
    body = viewer.get(COMPARE, {"a": 1, "b": 2, "layout": "hide"}).content.decode()
    assert 'id="change-activity-review"' in body
    assert 'id="change-activity-end"' not in body
    assert "1 layout-only change hidden" in body
    old, new = sides(body)
    assert not any("diff-moved" in c for c in node_classes(new, "end"))


def test_htmx_gets_only_the_result(viewer):
    build()
    response = viewer.get(COMPARE, {"a": 1, "b": 2, "layout": "hide"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<div id="compare-result"')


def test_same_version_twice_shows_no_differences(viewer):
    build()
    body = viewer.get(COMPARE, {"a": 2, "b": 2}).content.decode()
    assert "No differences" in body


@pytest.mark.parametrize(
    ("params", "message"),
    [({"a": "x", "b": 2}, "is not a version number"), ({"a": 1, "b": 9}, "no version 9")],
)
def test_bad_picks_are_explained(viewer, params, message):
    build()
    response = viewer.get(COMPARE, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    htmx = viewer.get(COMPARE, params, headers=HTMX)
    # HTMX swaps only 2xx responses, so the explanation comes as a 200 fragment.
    assert htmx.status_code == 200 and message in htmx.content.decode()
    assert "<html" not in htmx.content.decode()


def test_names_are_escaped_in_the_table(viewer):
    process, v1, v2 = build()
    definitions.update_activity(v2.activities.get(key="pay"), name="<img src=x onerror=alert(1)>")
    body = viewer.get(COMPARE, {"a": 1, "b": 2}).content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x" in body


def test_unknown_process_is_404(viewer):
    assert viewer.get(reverse("versions:compare", args=("nope",))).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    build()
    assert client.get(COMPARE).status_code == 302


def test_compare_offers_clone_and_publish_to_those_allowed(client, django_user_model):
    from django.contrib.auth.models import Permission

    build()
    user = django_user_model.objects.create_user("paul", password="pw-paul-123")
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    body = client.get(COMPARE).content.decode()
    assert reverse("versions:clone", args=("expenses", 1)) in body
    assert reverse("versions:publish", args=("expenses", 2)) in body


def test_compare_offers_no_actions_to_viewers(viewer):
    build()
    body = viewer.get(COMPARE).content.decode()
    assert reverse("versions:clone", args=("expenses", 1)) not in body
    assert reverse("versions:publish", args=("expenses", 2)) not in body
