"""POST .../versions/{n}/dry-run/ and GET /api/v1/handlers/."""

from __future__ import annotations

import pytest

from tests.engine.test_dry_run import CALLED, expense_draft, row_counts

pytestmark = pytest.mark.django_db

URL = "/api/v1/processes/expense/versions/1/dry-run/"


@pytest.fixture(autouse=True)
def no_calls():
    CALLED.clear()


def test_two_sample_inputs_take_different_branches(api):
    expense_draft()
    client = api("dana", "design")
    before = row_counts()
    big = client.post(
        URL,
        {
            "data": {"amount": 5000},
            "answers": {"review": {"outcome": "REJECTED", "form": {"note": "no way"}}},
        },
        format="json",
    )
    small = client.post(
        URL, {"data": {"amount": 3}, "answers": {"pay": {"output": {"paid": 1}}}}, format="json"
    )
    assert big.status_code == small.status_code == 200
    assert row_counts() == before
    assert [s["activity"] for s in big.json()["steps"]] == ["start", "route", "review", "end"]
    assert [s["activity"] for s in small.json()["steps"]] == ["start", "route", "pay", "end"]
    route = big.json()["steps"][1]
    assert [(c["condition"], c["value"], c["taken"]) for c in route["conditions"]] == [
        ("instance.data.amount >= 1000", True, True),
        ("", None, False),
    ]
    assert small.json()["state"] == "completed"


def test_a_wait_without_an_answer_says_what_it_needs(api):
    expense_draft()
    answer = api("dana", "design").post(URL, {"data": {"amount": 5000}}, format="json")
    body = answer.json()
    assert body["state"] == "waiting"
    assert body["waiting"]["activity"] == "review"
    assert body["waiting"]["outcomes"] == ["APPROVED", "REJECTED"]
    assert body["waiting"]["form_schema"]["required"] == ["note"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"data": {"amount": "x"}}, "data.amount"),
        ({"data": [1]}, "data"),
        ({"data": {"amount": 1}, "answers": {"ghost": {}}}, "answers.ghost"),
        (
            {"data": {"amount": 9999}, "answers": {"review": {"outcome": "MAYBE"}}},
            "answers.review.outcome",
        ),
        ({"data": {"amount": 1}, "pass_wait": True}, "pass_wait"),
    ],
)
def test_bad_input_is_a_400_saying_where(api, body, path):
    expense_draft()
    answer = api("dana", "design").post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert path in [e["path"] for e in answer.json()["errors"]]


def test_calling_handlers_needs_the_design_permission_and_an_unknown_version_is_404(api):
    expense_draft()
    viewer = api("vic")  # signed in, may see the process, may not design
    seen = viewer.post(
        URL, {"data": {"amount": 1}, "answers": {"pay": {"output": {}}}}, format="json"
    )
    assert seen.status_code == 200
    refused = viewer.post(URL, {"data": {"amount": 1}, "call_handlers": True}, format="json")
    assert refused.status_code == 403
    assert CALLED == []
    missing = viewer.post("/api/v1/processes/expense/versions/9/dry-run/", {}, format="json")
    assert missing.status_code == 404


def test_the_handler_catalogue(api, anon):
    client = api("dana")
    listed = client.get("/api/v1/handlers/")
    assert listed.status_code == 200
    (pay,) = [h for h in listed.json() if h["name"] == "test.dry.pay"]
    assert pay["description"] == "Pays, unless it is a dry run."
    assert pay["reads"] == ["amount"] and pay["writes"] == ["paid"]
    assert pay["module"] == "tests.engine.test_dry_run.pay"
    demo = {h["name"]: h for h in listed.json()}["demo.pay"]
    assert demo["writes"] == ["paid", "payment_reference"]
    assert anon.get("/api/v1/handlers/").status_code == 401
    assert client.get("/api/v1/handlers/?q=x").status_code == 400
