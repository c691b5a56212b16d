"""Idempotent starts: POST /api/v1/runs/ with an Idempotency-Key header."""

from __future__ import annotations

import pytest
import requests
from django.db import connection
from rest_framework.authtoken.models import Token

from engine.models import AuditEvent, Process, ProcessInstance
from engine.services import definitions
from tests.engine.test_durability_pg import in_threads

RUNS = "/api/v1/runs/"
BODY = {"process": "review", "data": {"customer": "ana"}, "business_key": "B-1"}


def start(client, body=None, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(RUNS, body or BODY, format="json", **headers, **extra)


def test_a_retried_start_with_the_same_key_returns_the_first_run(api, review_process):
    client = api("robot")
    first = start(client, key="order-17")
    again = start(client, key="order-17")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert ProcessInstance.objects.count() == 1
    run = ProcessInstance.objects.get()
    assert run.idempotency_key == "order-17"
    assert AuditEvent.objects.filter(instance=run, action="run.started").count() == 1


def test_other_keys_and_no_key_start_new_runs(api, review_process):
    client = api("robot")
    ids = {
        start(client, key="a").json()["id"],
        start(client, key="b").json()["id"],
        start(client).json()["id"],
        start(client).json()["id"],
    }
    assert len(ids) == 4


def test_the_same_key_with_another_body_is_a_422(api, review_process):
    client = api("robot")
    first = start(client, key="k-1").json()
    for other in (
        {**BODY, "data": {"customer": "bob"}},
        {**BODY, "business_key": "B-2"},
    ):
        refused = start(client, other, key="k-1")
        assert refused.status_code == 422
        body = refused.json()
        assert body["code"] == "idempotency_key_reused"
        assert f"run {first['id']}" in body["detail"]
        assert "k-1" in body["detail"]
    assert ProcessInstance.objects.count() == 1


def test_the_key_belongs_to_one_process(api, review_process):
    from tests.engine.conftest import deploy

    deploy([], ["start > end"], code="quick")
    client = api("robot")
    review = start(client, key="shared")
    quick = start(client, {"process": "quick"}, key="shared")
    assert (review.status_code, quick.status_code) == (201, 201)
    assert review.json()["id"] != quick.json()["id"]


def test_a_finished_run_is_still_returned_for_its_key(api, wm):
    from tests.engine.conftest import deploy

    deploy([], ["start > end"], code="quick")
    client = api("robot")
    first = start(client, {"process": "quick"}, key="done-1")
    again = start(client, {"process": "quick"}, key="done-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["state"] == "SUCCEEDED"


@pytest.mark.parametrize("key", ["", "   ", "x" * 201])
def test_a_bad_key_is_a_400(api, review_process, key):
    refused = start(api("robot"), key=key)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "Idempotency-Key"
    assert not ProcessInstance.objects.exists()


def test_someone_who_may_not_see_the_first_run_gets_a_409(api, review_process):
    start(api("ann"), key="k-9")
    refused = start(api("ben"), key="k-9")
    assert refused.status_code == 409
    assert "Idempotency-Key" in refused.json()["detail"]
    assert ProcessInstance.objects.count() == 1


def test_a_singleton_process_joins_as_before_with_a_key(api, review_process):
    definitions.update_process(Process.objects.get(code="review"), singleton_key="data.customer")
    client = api("robot")
    first = start(client, key="s-1")
    joined = start(client, {**BODY, "business_key": "B-other"}, key="s-2")
    assert (first.status_code, joined.status_code) == (201, 200)
    assert joined.json()["id"] == first.json()["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_make_one_run_on_postgresql(
    live_server, review_process, django_user_model
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    robot = django_user_model.objects.create_user("robot")
    headers = {
        "Authorization": f"Token {Token.objects.create(user=robot).key}",
        "Idempotency-Key": "race-1",
    }

    def post(_i):
        return requests.post(f"{live_server.url}{RUNS}", json=BODY, headers=headers, timeout=30)

    answers = in_threads(12, post)
    errors = [a for a in answers if isinstance(a, BaseException)]
    assert not errors, errors
    assert sorted(a.status_code for a in answers) == [200] * 11 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert ProcessInstance.objects.count() == 1
    assert AuditEvent.objects.filter(action="run.started").count() == 1
