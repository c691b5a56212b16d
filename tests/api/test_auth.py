"""Authentication: tokens and sessions; anonymous callers learn nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from engine.models import ProcessInstance

pytestmark = pytest.mark.django_db

EVERY_DOOR = [
    ("get", "/api/v1/processes/"),
    ("post", "/api/v1/processes/"),
    ("get", "/api/v1/processes/review/"),
    ("get", "/api/v1/processes/review/versions/"),
    ("post", "/api/v1/processes/review/versions/import/"),
    ("get", "/api/v1/processes/review/versions/1/"),
    ("post", "/api/v1/processes/review/versions/1/publish/"),
    ("get", "/api/v1/processes/review/versions/1/export/"),
    ("get", "/api/v1/processes/review/versions/1/activities/"),
    ("delete", "/api/v1/processes/review/versions/1/activities/review/"),
    ("get", "/api/v1/processes/review/versions/1/transitions/"),
    ("get", "/api/v1/runs/"),
    ("post", "/api/v1/runs/"),
    ("get", "/api/v1/runs/1/"),
    ("post", "/api/v1/runs/1/cancel/"),
    ("post", "/api/v1/signals/"),
    ("get", "/api/v1/workitems/"),
    ("post", "/api/v1/workitems/1/complete/"),
    ("get", "/api/v1/audit/"),
]


@pytest.mark.parametrize("method, url", EVERY_DOOR)
def test_anonymous_callers_get_401_with_the_scheme_and_nothing_else(
    anon, review_process, method, url
):
    answer = getattr(anon, method)(url, {"process": "review"}, format="json")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json()["code"] == "not_authenticated"
    assert "review" not in answer.content.decode()


def test_a_token_from_the_management_command_works(review_process, django_user_model):
    django_user_model.objects.create_user("robot")
    call_command("drf_create_token", "robot")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user__username='robot').key}")
    answer = client.post(
        "/api/v1/runs/", {"process": "review", "data": {"customer": "c"}}, format="json"
    )
    assert answer.status_code == 201
    assert ProcessInstance.objects.get().started_by.username == "robot"


def test_a_bad_token_is_401(review_process):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    answer = client.get("/api/v1/processes/")
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Invalid token."


def test_a_session_needs_the_csrf_token_to_change_anything(review_process, django_user_model):
    django_user_model.objects.create_user("ana", password="pw-ana-123")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="ana", password="pw-ana-123")
    assert client.get("/api/v1/processes/").status_code == 200
    body = {"process": "review", "data": {"customer": "c"}}
    refused = client.post("/api/v1/runs/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not ProcessInstance.objects.exists()
    client.get("/accounts/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post("/api/v1/runs/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 201


def test_the_schema_and_docs_are_served(api):
    client = api("pat")
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/runs/" in paths
    assert "/api/v1/processes/{code}/versions/{number}/diff/" in paths
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
