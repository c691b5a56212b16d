"""The editor's "Default retry" fieldset: set, clear, refuse with the field, undo, read-only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from engine.models import Version
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BASE = "/processes/leave/versions/1/"
SAVE = BASE + "default-retry/"


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


def stored() -> dict:
    return Version.objects.get(process__code="leave", number=1).default_retry


def test_the_fieldset_shows_with_no_selection_and_says_activities_override_it(designer, version):
    body = designer.get(BASE).content.decode()
    assert '<legend id="default-retry-title">Default retry</legend>' in body
    assert "An activity's own retry fields override it" in body
    for name in ("max_attempts", "base_delay", "backoff_factor", "max_delay"):
        assert f'name="retry-{name}"' in body
    assert "Save the default retry" in body


def test_saving_sets_it_fields_left_empty_take_the_built_in_value(designer, version):
    answer = designer.post(SAVE, {"retry-max_attempts": "5", "retry-base_delay": "10"}, **HX)
    assert answer.status_code == 200
    assert "Saved the default retry policy." in answer.content.decode()
    assert 'name="retry-max_attempts" value="5"' in answer.content.decode()
    assert stored() == {
        "max_attempts": 5,
        "base_delay": 10.0,
        "backoff_factor": 2.0,
        "max_delay": 300.0,
    }
    body = designer.get(BASE).content.decode()
    assert re.search(r'name="retry-max_attempts" value="5"', body)


def test_all_fields_empty_clears_it(designer, version):
    svc.set_default_retry(version, {"max_attempts": 5})
    answer = designer.post(SAVE, {"retry-max_attempts": ""}, **HX)
    assert "Cleared the default retry policy." in answer.content.decode()
    assert stored() == {}


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"retry-max_attempts": "0"}, "max_attempts", "greater than or equal to 1"),
        ({"retry-backoff_factor": "50"}, "backoff_factor", "less than or equal to 10"),
        ({"retry-base_delay": "soon"}, "base_delay", "Enter a number."),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_and_records_no_undo_step(
    designer, version, data, field, words
):
    answer = designer.post(SAVE, data, **HX)
    body = answer.content.decode()
    assert "Not saved: fix the default retry policy." in body
    # The message is in the field's own group, right after its input.
    group = re.search(
        rf'<div class="field has-error">\s*<label for="id_retry-{field}">.*?</div>', body, re.S
    )
    assert group and 'class="field-error error"' in group[0] and words in group[0]
    assert body.count('aria-invalid="true"') == 1
    assert stored() == {}
    assert designer.post(BASE + "undo/").status_code == 409  # nothing to undo


def test_undo_puts_the_previous_policy_back_and_redo_again(designer, version):
    designer.post(SAVE, {"retry-max_attempts": "5"}, **HX)
    designer.post(SAVE, {"retry-max_attempts": "8"}, **HX)
    undone = designer.post(BASE + "undo/", **HX)
    assert "Undid: Change the default retry." in undone.content.decode()
    assert 'name="retry-max_attempts" value="5"' in undone.content.decode()
    assert stored()["max_attempts"] == 5
    designer.post(BASE + "undo/", **HX)
    assert stored() == {}
    designer.post(BASE + "redo/", **HX)
    assert stored()["max_attempts"] == 5


def test_a_published_version_shows_it_read_only_and_refuses_a_change(designer, version):
    svc.set_default_retry(version, {"max_attempts": 4})
    svc.publish(version)
    body = designer.get(BASE).content.decode()
    assert re.search(r'name="retry-max_attempts" value="4"[^>]*disabled', body)
    assert "Save the default retry" not in body
    refused = designer.post(SAVE, {"retry-max_attempts": "6"}, **HX)
    assert "cannot change" in refused.content.decode()
    assert stored()["max_attempts"] == 4


def test_a_person_who_may_not_design_cannot_save(version, django_user_model):
    user = django_user_model.objects.create_user("vera", password="pw-vera-123")
    client = Client()
    client.force_login(user)
    assert client.post(SAVE, {"retry-max_attempts": "5"}).status_code == 404
    assert stored() == {}
