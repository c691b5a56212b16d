"""The process library: list, search, create, import (full pages and HTMX fragments)."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engine.models import Process, Version
from engine.services import definitions

pytestmark = pytest.mark.django_db

LIST = reverse("versions:process_list")
CREATE = reverse("versions:process_create")
IMPORT = reverse("versions:process_import")


def grant(user, *codenames):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))


@pytest.fixture
def viewer(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("vera", password="pw-vera-123"))
    return client


@pytest.fixture
def designer(client, django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    grant(user, "design_process")
    client.force_login(user)
    return client


def definition(code="intake", **extra):
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": "Intake"},
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "review", "kind": "human", "name": "Review"},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "review"},
            {"key": "t2", "source": "review", "target": "end"},
        ],
    }
    data.update(extra)
    return data


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_list_shows_processes_with_their_versions_and_the_published_one(viewer):
    process = definitions.create_process("expenses", "Expense approval")
    v1 = process.versions.get(number=1)
    definitions.add_activity(v1, "human", name="Approve")
    definitions.clone(v1)
    Version.objects.filter(pk=v1.pk).update(status="published")
    response = viewer.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Expense approval" in body
    assert "v1 published" in body
    assert "v2 draft" in body
    assert reverse("versions:export", args=("expenses", 1, "json")) in body


def test_search_narrows_the_list_and_htmx_gets_only_the_results(viewer):
    definitions.create_process("expenses", "Expense approval")
    definitions.create_process("hiring", "Hiring")
    response = viewer.get(
        LIST, {"q": "hir"}, headers={"HX-Request": "true", "HX-Target": "process-results"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hiring" in body and "Expense approval" not in body
    assert "<html" not in body
    full = viewer.get(LIST, {"q": "nothing-like-this"}).content.decode()
    assert "No process matches" in full and "<html" in full


def test_viewer_sees_no_create_form_and_cannot_create(viewer):
    assert "Create process" not in viewer.get(LIST).content.decode()
    response = viewer.post(CREATE, {"code": "x1", "title": "X"})
    assert response.status_code == 403
    assert not Process.objects.exists()


def test_designer_creates_a_process_and_lands_on_its_draft(designer):
    response = designer.post(
        CREATE, {"code": "onboarding", "title": "Onboarding", "description": "New hires"}
    )
    process = Process.objects.get(code="onboarding")
    assert response.status_code == 302
    assert process.title == "Onboarding"
    assert process.versions.get().status == "draft"
    assert "/processes/onboarding/" in response["Location"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "Bad Code!", "title": "Thing"}, "lower-case letters"),
        ({"code": "good", "title": ""}, "This field is required"),
    ],
)
def test_bad_create_input_is_explained_and_kept(designer, data, message):
    response = designer.post(CREATE, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert f'value="{data["code"]}"' in body
    assert not Process.objects.exists()


def test_a_taken_code_is_refused_on_the_code_field(designer):
    definitions.create_process("expenses", "Expense approval")
    response = designer.post(CREATE, {"code": "expenses", "title": "Again"})
    assert response.status_code == 400
    assert "This code is not available: choose another." in response.content.decode()
    assert Process.objects.count() == 1


def globex(who):
    return {"tenant_id": "globex"}


def test_a_code_another_tenant_holds_gets_the_same_answer(designer, settings):
    definitions.create_process("payroll", "Payroll", tenant_id="acme")
    settings.WAYMARK_TENANT_RESOLVER = f"{__name__}.globex"
    response = designer.post(CREATE, {"code": "payroll", "title": "Again"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "This code is not available: choose another." in body
    assert "acme" not in body
    assert Process.objects.get().tenant_id == "acme"


def test_create_escapes_what_people_type(designer):
    designer.post(CREATE, {"code": "xss", "title": "<script>alert(1)</script>"})
    body = designer.get(LIST).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body


def test_import_a_json_file(designer):
    upload = SimpleUploadedFile("intake.json", json.dumps(definition()).encode())
    response = designer.post(IMPORT, {"file": upload})
    assert response.status_code == 302
    version = Version.objects.get(process__code="intake")
    assert version.status == "draft"
    assert version.activities.count() == 3


def test_import_pasted_yaml_and_publish_needs_the_publish_permission(designer, django_user_model):
    text = (
        "format: waymark.process/1\n"
        "process: {code: intake, title: Intake}\n"
        "activities:\n  - {key: s, kind: start}\n  - {key: e, kind: end}\n"
        "transitions:\n  - {key: t, source: s, target: e}\n"
    )
    refused = designer.post(IMPORT, {"text": text, "publish": "on"})
    assert refused.status_code == 400
    assert "not publish" in refused.content.decode()
    assert not Process.objects.exists()
    grant(django_user_model.objects.get(username="dana"), "publish_process")
    response = designer.post(IMPORT, {"text": text, "publish": "on"})
    assert response.status_code == 302
    assert Version.objects.get(process__code="intake").status == "published"


def test_a_bad_file_lists_every_problem_with_its_location_and_imports_nothing(designer):
    data = definition()
    data["activities"][1]["kind"] = "robot"
    data["transitions"][1]["priority"] = "first"
    upload = SimpleUploadedFile("intake.json", json.dumps(data).encode())
    response = designer.post(IMPORT, {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in body
    assert "activities[1].kind" in body
    assert "transitions[1].priority" in body
    assert not Process.objects.exists()


def test_pasted_text_that_is_not_json_or_yaml_is_kept_with_its_position(designer):
    text = '{"format": "waymark.process/1", "process": [unclosed'
    response = designer.post(IMPORT, {"text": text})
    body = response.content.decode()
    assert response.status_code == 400
    assert "line 1" in body
    assert "[unclosed" in body  # what the person pasted is still in the form
    assert not Process.objects.exists()


def test_import_with_no_file_and_no_text_says_so(designer):
    response = designer.post(IMPORT, {})
    assert response.status_code == 400
    assert "Choose a definition file or paste one" in response.content.decode()


def test_viewer_cannot_import(viewer):
    upload = SimpleUploadedFile("intake.json", json.dumps(definition()).encode())
    assert viewer.post(IMPORT, {"file": upload}).status_code == 403
    assert not Process.objects.exists()


def test_import_get_is_not_allowed(designer):
    assert designer.get(IMPORT).status_code == 405


def test_many_versions_are_summarised_and_a_bad_page_number_is_harmless(viewer):
    process = definitions.create_process("expenses", "Expense approval")
    for _ in range(7):
        definitions.clone(process.versions.get(number=1))
    body = viewer.get(LIST).content.decode()
    assert "v8 draft" in body and "v3 draft" in body
    assert "v2 draft" not in body and "+2 more" in body
    assert viewer.get(LIST, {"page": "not-a-number"}).status_code == 200
