"""The designer: a code left empty is the slug of the title; DOT and SVG are export-only."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engine.models import Process

pytestmark = pytest.mark.django_db

CREATE = reverse("versions:process_create")
IMPORT = reverse("versions:process_import")


@pytest.fixture
def designer(client, django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client.force_login(user)
    return client


def test_a_process_created_with_an_empty_code_takes_the_slug_of_its_title(designer):
    response = designer.post(CREATE, {"code": "", "title": "Purchase Order (EU)"})
    assert response.status_code == 302
    assert "/processes/purchase-order-eu/" in response["Location"]
    assert Process.objects.get().title == "Purchase Order (EU)"


def test_a_title_without_letters_asks_for_a_code(designer):
    response = designer.post(CREATE, {"code": "", "title": "???"})
    assert response.status_code == 400
    assert "Enter a code" in response.content.decode()
    assert not Process.objects.exists()


def test_an_imported_file_without_a_code_takes_the_slug_of_its_title(designer):
    data = {
        "format": "waymark.process/1",
        "process": {"title": "Leave Request"},
        "activities": [{"key": "start", "kind": "start"}, {"key": "end", "kind": "end"}],
        "transitions": [{"key": "t1", "source": "start", "target": "end"}],
    }
    response = designer.post(IMPORT, {"text": json.dumps(data)})
    assert response.status_code == 302
    assert Process.objects.get().code == "leave-request"


@pytest.mark.parametrize(
    "form",
    [
        {"file": SimpleUploadedFile("leave.svg", b"<svg></svg>")},
        {"text": "digraph leave {\n  start -> end\n}"},
    ],
)
def test_importing_a_drawing_says_it_is_export_only(designer, form):
    response = designer.post(IMPORT, form)
    body = response.content.decode()
    assert response.status_code == 400
    assert "DOT and SVG are export-only" in body
    assert not Process.objects.exists()
