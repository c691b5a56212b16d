"""Every answer under /api/v1/ is the documented JSON error body: unknown paths, ids that
cannot be, methods and media types a door does not take, and a database outage (503)."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from engine.api.converters import MAX_ID
from engine.models import ProcessInstance
from engine.services import runtime

pytestmark = pytest.mark.django_db


def assert_error_body(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content[:300]
    assert answer["Content-Type"] == "application/json"
    data = answer.json()
    assert set(data) == {"detail", "code", "errors"}
    assert data["code"] == code
    assert data["detail"]
    assert isinstance(data["errors"], list)
    return data


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/runs/-1/",
        "/api/v1/runs/abc/",
        "/api/v1/runs/0/",
        f"/api/v1/runs/{MAX_ID + 1}/",
        "/api/v1/runs/99999999999999999999999/",
        "/api/v1/runs/1.5/cancel/",
        "/api/v1/workitems/-3/",
        "/api/v1/audit/x/",
        "/api/v1/processes/Not%20A%20Code/",
        "/api/v1/processes/review/versions/abc/",
        "/api/v1/processes/review/versions/1/activities/%20bad/",
        "/api/v1/nope/",
        "/api/v1/nope",
        "/api/v1/",
    ],
)
def test_unknown_paths_and_malformed_ids_are_a_json_404(api, review_process, url):
    data = assert_error_body(api("pat").get(url), 404, "not_found")
    assert "/api/v1/" in data["detail"]


def test_an_unknown_path_answers_json_even_to_a_browser_and_to_every_method(api):
    client = api("pat")
    browser = client.get("/api/v1/nope/", HTTP_ACCEPT="text/html")
    assert_error_body(browser, 404, "not_found")
    for method in ("post", "put", "patch", "delete", "options"):
        assert_error_body(getattr(client, method)("/api/v1/runs/abc/"), 404, "not_found")


def test_an_anonymous_caller_gets_the_same_404(anon):
    assert_error_body(anon.get("/api/v1/runs/-1/"), 404, "not_found")


def test_a_session_post_to_an_unknown_path_is_a_404_not_a_csrf_page(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    answer = client.post("/api/v1/runs/abc/cancel/", {}, format="json")
    assert_error_body(answer, 404, "not_found")


def test_a_missing_slash_redirects_a_get_and_explains_itself_to_a_post(api):
    client = api("pat")
    moved = client.get("/api/v1/runs?state=ACTIVE")
    assert moved.status_code == 301
    assert moved["Location"] == "/api/v1/runs/?state=ACTIVE"
    data = assert_error_body(client.post("/api/v1/runs", {}, format="json"), 404, "not_found")
    assert "did you mean /api/v1/runs/" in data["detail"]


def _next_run_id_at(first: int) -> None:
    """Let the database hand out run ids from ``first`` on, as a busy 64-bit table would."""
    table = ProcessInstance._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, first]
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first - 1]
            )


def test_64_bit_ids_are_accepted_in_urls(api, review_process):
    _next_run_id_at(2**31 + 5)
    run = runtime.start_run("review", {"customer": "ana"})
    task = run.workitems.get(activity_key="review")
    assert run.pk > 2**31
    client = api("boss", "manage", "workitems")
    answer = client.get(f"/api/v1/runs/{run.pk}/")
    assert answer.status_code == 200
    assert answer.json()["id"] == run.pk
    assert client.get(f"/api/v1/workitems/{task.pk}/").status_code == 200
    listed = client.get(f"/api/v1/workitems/?run={run.pk}").json()
    assert [row["id"] for row in listed["results"]] == [task.pk]
    # The largest id a table can hold is a plain "no such run".
    data = assert_error_body(client.get(f"/api/v1/runs/{MAX_ID}/"), 404, "not_found")
    assert data["detail"] == f"There is no run {MAX_ID}."


def test_a_version_number_beyond_the_column_is_a_404(api, review_process):
    answer = api("pat").get(f"/api/v1/processes/review/versions/{2**40}/")
    data = assert_error_body(answer, 404, "not_found")
    assert data["detail"] == f"There is no version {2**40} of 'review'."


def test_methods_and_media_types_a_door_does_not_take_answer_json(api, review_process):
    client = api("boss", "manage", "publish")
    assert_error_body(client.delete("/api/v1/runs/"), 405, "method_not_allowed")
    assert_error_body(client.put("/api/v1/processes/review/"), 405, "method_not_allowed")
    plain = client.post("/api/v1/runs/", "process=review", content_type="text/plain")
    assert_error_body(plain, 415, "unsupported_media_type")
    xml_only = client.get("/api/v1/runs/", HTTP_ACCEPT="application/xml")
    assert_error_body(xml_only, 406, "not_acceptable")
    broken = client.post("/api/v1/runs/", "{nope", content_type="application/json")
    assert_error_body(broken, 400, "malformed")
    assert_error_body(client.get("/api/v1/runs/?format=xml"), 404, "not_found")


def test_outside_v1_the_api_prefix_answers_json_too(client):
    assert_error_body(client.get("/api/v2/runs/"), 404, "not_found")
    # ... and the pages keep Django's HTML 404.
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


# Database outage ---------------------------------------------------------------------------


def database_down(error: type[Exception]):
    """Every query from now on fails as a dropped connection or a stopped server would."""

    def fail(self, sql, params=None):
        raise error("server closed the connection unexpectedly")

    return mock.patch.object(CursorWrapper, "execute", fail)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_outage_is_a_json_503_with_retry_after(api, review_process, error):
    client = api("boss", "manage")
    with database_down(error):
        answer = client.get("/api/v1/runs/")
        started = client.post("/api/v1/runs/", {"process": "review"}, format="json")
    data = assert_error_body(answer, 503, "unavailable")
    assert "database" in data["detail"]
    assert "server closed" not in data["detail"]  # the cause goes to the log, not the caller
    assert answer["Retry-After"] == "10"
    assert_error_body(started, 503, "unavailable")
    assert ProcessInstance.objects.count() == 0


def test_a_database_outage_while_checking_a_token_is_a_503(django_user_model):
    user = django_user_model.objects.create_user("robot", password="pw-robot-123")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    with database_down(OperationalError):
        answer = client.get("/api/v1/processes/")
    assert_error_body(answer, 503, "unavailable")
    assert answer["Retry-After"] == "10"


def test_a_database_outage_on_a_page_is_a_plain_503_page(client, user):
    client.force_login(user)
    with database_down(OperationalError):
        page = client.get("/")
    assert page.status_code == 503
    assert page["Retry-After"] == "10"
    assert b"Waymark cannot reach its database" in page.content


def test_a_server_error_under_the_api_is_a_json_500():
    from config.errors import server_error

    request = RequestFactory().get("/api/v1/runs/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        answer = server_error(request)
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert json.loads(answer.content)["code"] == "server_error"
    assert "a bug" not in answer.content.decode()
