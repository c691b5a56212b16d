"""Direct manipulation through Django's test client: drops, the context pad, rename,
several at once, copy/paste between processes, duplicate; each one undo step."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from designer.models import EditStep
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BASE = "/processes/leave/versions/1/"


@pytest.fixture
def version():
    version = svc.create_process("leave", "Leave request").versions.get()
    svc.add_activity(version, "human", key="review", name="Review", x=200, y=120)
    svc.add_activity(version, "automatic", key="pay", name="Pay", x=400, y=120, handler="demo.pay")
    version.transitions.all().delete()
    start, review = version.activities.get(key="start"), version.activities.get(key="review")
    pay, end = version.activities.get(key="pay"), version.activities.get(key="end")
    end.x = 600
    end.save()
    svc.add_transition(version, start, review, key="t1")
    svc.add_transition(version, review, pay, key="t2", condition="APPROVED", priority=2)
    svc.add_transition(version, pay, end, key="t3")
    return version


@pytest.fixture
def designer(django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client = Client()
    client.force_login(user)
    return client


def steps(version) -> int:
    return EditStep.objects.filter(version=version, stack=EditStep.UNDO).count()


def undo(client, version):
    client.post(BASE + "undo/", **HX)


def test_a_kind_dropped_on_a_point_is_placed_there(designer, version):
    response = designer.post(BASE + "activities/drop/", {"kind": "timer", "x": 310, "y": 260}, **HX)
    assert response.status_code == 200
    timer = version.activities.get(kind="timer")
    assert (timer.x, timer.y) == (310, 260)
    assert timer.name == "Timer"
    assert f'data-selected="a:{timer.key}"' in response.content.decode()
    assert steps(version) == 1


def test_a_kind_dropped_on_an_arrow_splits_it_and_the_condition_stays_first(designer, version):
    designer.post(
        BASE + "activities/drop/", {"kind": "human", "x": 300, "y": 120, "into": "t2"}, **HX
    )
    check = version.activities.get(kind="human", name="Human task")
    first = version.transitions.get(key="t2")
    assert (first.source.key, first.target.key) == ("review", check.key)
    assert (first.condition, first.priority) == ("eq:APPROVED", 2)
    second = version.transitions.get(source=check)
    assert (second.target.key, second.condition) == ("pay", "")
    assert steps(version) == 1
    undo(designer, version)
    assert not version.activities.filter(key=check.key).exists()
    assert version.transitions.get(key="t2").target.key == "pay"


def test_an_end_cannot_be_dropped_into_an_arrow(designer, version):
    response = designer.post(
        BASE + "activities/drop/", {"kind": "end", "x": 300, "y": 120, "into": "t2"}, **HX
    )
    assert "An end cannot be inserted into an arrow." in response.content.decode()
    assert version.activities.filter(kind="end").count() == 1
    assert steps(version) == 0


def test_add_next_is_connected_and_placed_to_the_right(designer, version):
    designer.post(BASE + "activities/review/next/", {"kind": "signal"}, **HX)
    signal = version.activities.get(kind="signal")
    assert signal.x > 200
    assert version.transitions.filter(source__key="review", target=signal).exists()
    assert steps(version) == 1


def test_nothing_follows_an_end(designer, version):
    response = designer.post(BASE + "activities/end/next/", {"kind": "human"}, **HX)
    assert "cannot follow End" in response.content.decode()
    assert steps(version) == 0


def test_change_kind_within_its_family_only(designer, version):
    designer.post(BASE + "activities/review/kind/", {"kind": "automatic"}, **HX)
    assert version.activities.get(key="review").kind == "automatic"
    response = designer.post(BASE + "activities/review/kind/", {"kind": "timer"}, **HX)
    assert "An automatic task cannot become a timer." in response.content.decode()
    assert version.activities.get(key="review").kind == "automatic"


def test_rename_in_place_needs_a_name(designer, version):
    designer.post(BASE + "activities/review/rename/", {"name": "  Check  "}, **HX)
    assert version.activities.get(key="review").name == "Check"
    response = designer.post(BASE + "activities/review/rename/", {"name": "  "}, **HX)
    assert "a name is required" in response.content.decode()
    response = designer.post(BASE + "activities/review/rename/", {"name": "x" * 201}, **HX)
    assert "at most 200 characters" in response.content.decode()
    assert version.activities.get(key="review").name == "Check"


def test_several_move_together_in_one_undo_step(designer, version):
    response = designer.post(
        BASE + "selection/move/", {"keys": "review,pay", "dx": 20, "dy": 30}, **HX
    )
    assert json.loads(response.headers["HX-Trigger-After-Settle"]) == {
        "waymark:select": ["review", "pay"]
    }
    places = dict(version.activities.values_list("key", "y"))
    assert (places["review"], places["pay"], places["start"]) == (150, 150, 120)
    assert steps(version) == 1
    undo(designer, version)
    assert version.activities.get(key="pay").y == 120


def test_several_deleted_together_with_their_transitions(designer, version):
    designer.post(BASE + "selection/delete/", {"keys": "review,pay"}, **HX)
    assert set(version.activities.values_list("key", flat=True)) == {"start", "end"}
    assert not version.transitions.exists()
    undo(designer, version)
    assert version.activities.count() == 4
    assert version.transitions.count() == 3


def test_an_unknown_key_in_the_selection_changes_nothing(designer, version):
    response = designer.post(BASE + "selection/delete/", {"keys": "review,nope"}, **HX)
    assert "Select one or more activities" in response.content.decode()
    assert version.activities.count() == 4


def test_copy_paste_into_another_process_with_new_keys(designer, version):
    other = svc.create_process("trip", "Trip").versions.get()
    designer.post(BASE + "selection/copy/", {"keys": "review,pay"}, **HX)
    response = designer.post("/processes/trip/versions/1/paste/", **HX)
    assert response.status_code == 200
    pasted = list(other.activities.exclude(kind__in=("start", "end")).order_by("pk"))
    assert [(a.name, a.kind, a.handler) for a in pasted] == [
        ("Review", "human", ""),
        ("Pay", "automatic", "demo.pay"),
    ]
    assert {a.key for a in pasted}.isdisjoint({"review", "pay"})
    arrow = other.transitions.get(source=pasted[0])
    assert (arrow.target, arrow.condition, arrow.priority) == (pasted[1], "eq:APPROVED", 2)
    # Placed below what the other draft holds, never on top of it.
    assert min(a.y for a in pasted) > 120
    detail = json.loads(response.headers["HX-Trigger-After-Settle"])["waymark:select"]
    assert detail == [a.key for a in pasted]
    assert steps(other) == 1
    designer.post("/processes/trip/versions/1/undo/", **HX)
    assert other.activities.count() == 2


def test_paste_with_nothing_copied_says_so(designer, version):
    response = designer.post(BASE + "paste/", **HX)
    assert "Nothing to paste" in response.content.decode()
    assert steps(version) == 0


def test_duplicate_shifts_the_copy_and_keeps_the_clipboard(designer, version):
    designer.post(BASE + "selection/copy/", {"keys": "review"}, **HX)
    designer.post(BASE + "selection/duplicate/", {"keys": "review,pay"}, **HX)
    copies = version.activities.filter(name__in=("Review", "Pay")).exclude(
        key__in=("review", "pay")
    )
    assert sorted((a.x, a.y) for a in copies) == [(240, 160), (440, 160)]
    assert version.transitions.filter(source__in=copies, target__in=copies).count() == 1
    designer.post(BASE + "paste/", **HX)  # the clipboard still holds "Review" alone
    assert version.activities.filter(name="Review").count() == 3


def test_auto_layout_asks_the_view_to_fit(designer, version):
    response = designer.post(BASE + "layout/", **HX)
    assert "waymark:fit" in json.loads(response.headers["HX-Trigger-After-Settle"])


def test_a_person_who_may_not_design_cannot_paste_but_may_copy(django_user_model, version):
    user = django_user_model.objects.create_user("vera", password="pw-vera-123")
    client = Client()
    client.force_login(user)
    assert client.post(BASE + "selection/copy/", {"keys": "review"}, **HX).status_code == 200
    assert client.post(BASE + "paste/", **HX).status_code == 404
    assert client.post(BASE + "selection/duplicate/", {"keys": "review"}, **HX).status_code == 404


def test_the_editor_offers_the_pad_and_publish(django_user_model, designer, version):
    body = designer.get(BASE + "?sel=a:review").content.decode()
    assert 'id="context-pad"' in body
    assert 'aria-label="Add next step"' in body
    assert 'value="automatic">Automatic task</button>' in body  # change kind
    assert "Publish…" not in body  # dana may design, not publish
    user = django_user_model.objects.get(username="dana")
    user.user_permissions.add(Permission.objects.get(codename="publish_process"))
    body = designer.get(BASE).content.decode()
    assert 'id="publish-button"' in body


def test_a_published_version_can_be_copied_from_into_a_draft(designer, version):
    svc.publish(version)
    other = svc.create_process("trip", "Trip").versions.get()
    assert designer.post(BASE + "selection/copy/", {"keys": "review"}, **HX).status_code == 200
    designer.post("/processes/trip/versions/1/paste/", **HX)
    assert other.activities.filter(name="Review", kind="human").count() == 1
    assert version.activities.count() == 4  # the published version is as it was


def test_a_drop_on_a_draft_not_pinned_yet_lands_where_it_was_seen(designer, version):
    # An activity without a position: the canvas is drawn by dot, whose coordinates
    # are not the stored ones; the drop is placed from its nearest activity.
    svc.add_activity(version, "human", key="loose", name="Loose")
    response = designer.post(
        BASE + "activities/drop/",
        {"kind": "timer", "x": -5, "y": -900, "anchor": "review", "dx": 30, "dy": 80},
        **HX,
    )
    assert response.status_code == 200
    review = version.activities.get(key="review")
    timer = version.activities.get(kind="timer")
    assert (timer.x, timer.y) == (review.x + 30, review.y + 80)
    assert version.activities.get(key="loose").x is not None  # pinned on the way


def test_nothing_is_pasted_into_a_published_version(designer, version):
    designer.post(BASE + "selection/copy/", {"keys": "review"}, **HX)
    svc.publish(version)
    response = designer.post(BASE + "paste/")
    assert response.status_code == 409
    assert "cannot change" in response.content.decode()
    assert version.activities.filter(name="Review").count() == 1
