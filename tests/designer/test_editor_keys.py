"""The editor canvas carries the element keys of the draft on screen, never another's."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from engine import drawing
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def cold_caches():
    drawing.clear_caches()
    yield
    drawing.clear_caches()


@pytest.fixture
def designer(django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client = Client()
    client.force_login(user)
    return client


def canvas_edge_keys(body: str) -> list[str]:
    """data-key of every transition group on the canvas."""
    return re.findall(r'<g[^>]*class="edge transition[^"]*"[^>]*data-key="([^"]+)"', body)


def test_second_process_of_the_same_shape_shows_its_own_arrow_key(designer):
    svc.create_process("first", "First")
    second = svc.create_process("second", "Second").versions.get()
    assert designer.get("/processes/first/versions/1/").status_code == 200

    body = designer.get("/processes/second/versions/1/").content.decode()
    keys = canvas_edge_keys(body)
    assert keys == [second.transitions.get().key]

    # Clicking the arrow opens its properties.
    properties = designer.get(f"/processes/second/versions/1/transitions/{keys[0]}/", **HX)
    assert properties.status_code == 200
    assert "Start → End" in properties.content.decode()


def test_an_arrow_drawn_again_can_be_selected_after_reopening_the_editor(designer):
    draft = svc.create_process("leave", "Leave").versions.get()
    base = "/processes/leave/versions/1/"
    old_key = draft.transitions.get().key
    assert canvas_edge_keys(designer.get(base).content.decode()) == [old_key]

    designer.post(base + f"transitions/{old_key}/delete/", **HX)
    designer.post(base + "transitions/add/", {"source": "start", "target": "end"}, **HX)
    new_key = draft.transitions.get().key

    keys = canvas_edge_keys(designer.get(base).content.decode())
    assert keys == [new_key]
    assert designer.get(base + f"transitions/{new_key}/", **HX).status_code == 200
