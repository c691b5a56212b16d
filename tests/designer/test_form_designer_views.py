"""The form designer's server side: the process's input form and the preview."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from engine.models import Process
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BASE = "/processes/leave/versions/1/"
SCHEMA = {
    "type": "object",
    "properties": {"days": {"type": "integer", "title": "Days", "minimum": 1}},
    "required": ["days"],
}


@pytest.fixture
def version():
    return svc.create_process("leave", "Leave request").versions.get()


def client_for(django_user_model, name, *perms):
    user = django_user_model.objects.create_user(name, password=f"pw-{name}-123")
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def designer(django_user_model):
    return client_for(django_user_model, "dana", "design_process")


@pytest.fixture
def viewer(django_user_model):
    return client_for(django_user_model, "vera")


def test_the_editor_shows_the_input_form_when_nothing_is_selected(designer, version):
    body = designer.get(BASE).content.decode()
    assert 'id="process-input"' in body
    assert 'data-form-designer="input"' in body
    assert "js/form_designer.js" in body


def test_a_viewer_sees_the_input_form_read_only(viewer, version):
    body = viewer.get(BASE).content.decode()
    field = re.search(r"<textarea[^>]*data-form-designer[^>]*>", body).group(0)
    assert "disabled" in field
    assert "Save the input form" not in body


def test_saving_the_input_form_goes_through_the_service(designer, version):
    response = designer.post(BASE + "input-form/", {"input_schema": json.dumps(SCHEMA)}, **HX)
    assert response.status_code == 200
    assert "Saved the input form." in response.content.decode()
    assert Process.objects.get(code="leave").input_schema == SCHEMA


def test_a_schema_the_checks_refuse_is_not_saved_and_is_kept_in_the_field(designer, version):
    bad = {"type": "object", "properties": {"code": {"type": "string", "pattern": "(?=a)"}}}
    response = designer.post(BASE + "input-form/", {"input_schema": json.dumps(bad)}, **HX)
    body = response.content.decode()
    assert "Not saved" in body and "RE2" in body
    assert "(?=a)" in body  # what was typed is still there
    assert Process.objects.get(code="leave").input_schema == {}


def test_a_viewer_may_not_change_the_input_form(viewer, version):
    response = viewer.post(BASE + "input-form/", {"input_schema": json.dumps(SCHEMA)}, **HX)
    assert response.status_code == 404
    assert Process.objects.get(code="leave").input_schema == {}


def test_the_preview_draws_the_same_form_inert(viewer, version):
    schema = {**SCHEMA, "x-waymark-outcome-labels": {"OK": "Looks good"}}
    response = viewer.post(
        BASE + "form-preview/", {"schema": json.dumps(schema), "outcomes": "OK, NO"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<fieldset disabled inert" in body
    assert 'name="preview-days"' in body and "Days" in body
    assert 'title="required"' in body  # the required mark, as on the start page
    assert "Looks good" in body and "NO" in body


def test_the_preview_explains_a_schema_it_cannot_draw(viewer, version):
    response = viewer.post(BASE + "form-preview/", {"schema": '{"type": 5'})
    assert "Not valid JSON" in response.content.decode()
    response = viewer.post(BASE + "form-preview/", {"schema": json.dumps({"type": "nope"})})
    assert "cannot be drawn" in response.content.decode()
