"""A process code left empty is the slug of the title; DOT and SVG are export-only (API)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from engine.models import Process

pytestmark = pytest.mark.django_db

DEFINITION = {
    "format": "waymark.process/1",
    "process": {"title": "Fresh Start"},
    "activities": [{"key": "start", "kind": "start"}, {"key": "end", "kind": "end"}],
    "transitions": [{"key": "t1", "source": "start", "target": "end"}],
}


@pytest.mark.parametrize(
    "body", [{"title": "Expense claim"}, {"code": "", "title": "Expense claim"}]
)
def test_a_process_created_without_a_code_takes_the_slug_of_its_title(api, body):
    answer = api("dee", "design").post("/api/v1/processes/", body, format="json")
    assert answer.status_code == 201
    assert answer.json()["code"] == "expense-claim"
    assert Process.objects.get().title == "Expense claim"


def test_a_title_that_makes_a_taken_code_is_refused_on_the_code(api):
    client = api("dee", "design")
    client.post("/api/v1/processes/", {"title": "Expense claim"}, format="json")
    answer = client.post("/api/v1/processes/", {"title": "Expense Claim!"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["path"] == "code"
    assert Process.objects.count() == 1


def test_an_imported_file_without_a_code_is_for_the_process_it_is_sent_to(api):
    answer = api("dee", "design").post(
        "/api/v1/processes/fresh/versions/import/", DEFINITION, format="json"
    )
    assert answer.status_code == 201
    assert Process.objects.get().code == "fresh"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("review.dot", b"digraph review { start -> end }"),
        ("review.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("review.txt", b"strict digraph { a -> b }"),
    ],
)
def test_importing_a_drawing_says_it_is_export_only(api, name, text):
    upload = SimpleUploadedFile(name, text)
    answer = api("dee", "design").post(
        "/api/v1/processes/fresh/versions/import/", {"file": upload}, format="multipart"
    )
    assert answer.status_code == 400
    assert "export-only" in answer.content.decode()
    assert not Process.objects.exists()
