"""Moving runs through the doors: the command, the REST API and the runs list's bulk action."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from engine.models import ProcessInstance
from tests.api import conftest as api_fixtures
from tests.engine.test_moving_runs import ROUTES, v1, v2_of  # noqa: F401  (fixture)

api = api_fixtures.api
make_user = api_fixtures.make_user
MOVE = "/api/v1/processes/moves/versions/1/move-runs/"


@pytest.fixture
def waiting(wm, v1):  # noqa: F811  (the v1 fixture)
    runs = [wm.start_run("moves", {"route": ROUTES[i % 3], "n": i}) for i in range(6)]
    return runs, v2_of(v1)


def versions() -> list[int]:
    return list(ProcessInstance.objects.order_by("pk").values_list("version__number", flat=True))


def test_the_command_moves_runs_with_a_mapping(waiting):
    out = io.StringIO()
    call_command(
        "move_runs", "moves", "--from", "1", "--to", "2", "--map", "review=approve", stdout=out
    )
    assert "Moved 6 run(s) of moves from v1 to v2." in out.getvalue()
    assert versions() == [2] * 6


def test_the_command_lists_why_nothing_moved(waiting):
    with pytest.raises(CommandError) as caught:
        call_command("move_runs", "moves", "--from", "1", "--to", "2", stdout=io.StringIO())
    assert "No run was moved (2 problem(s))" in str(caught.value)
    assert "waits at 'review'; the target has no 'review'" in str(caught.value)
    with pytest.raises(CommandError, match="write OLD_KEY=NEW_KEY"):
        call_command("move_runs", "moves", "--from", "1", "--to", "2", "--map", "review")
    assert versions() == [1] * 6


def test_the_api_moves_the_runs_named(api, waiting):
    runs, _ = waiting
    client = api("olga", "manage")
    answer = client.post(
        MOVE, {"to": 2, "mapping": {"review": "approve"}, "runs": [runs[0].pk]}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"from_version": 1, "to_version": 2, "moved": [runs[0].pk]}
    assert versions() == [2, 1, 1, 1, 1, 1]


def test_the_api_refuses_a_move_with_no_place_in_the_one_error_shape(api, waiting):
    answer = api("olga", "manage").post(MOVE, {"to": 2}, format="json")
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "runs_cannot_move"
    assert len(body["errors"]) == 2 and body["errors"][0]["path"].endswith(".review")
    assert versions() == [1] * 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": 9}, "to"),
        ({}, "to"),
        ({"to": 2, "runs": [999999]}, "runs"),
        ({"to": 2, "x": 1}, "x"),
    ],
)
def test_the_api_answers_bad_moves_with_400(api, waiting, body, field):
    answer = api("olga", "manage").post(MOVE, body, format="json")
    assert answer.status_code == 400
    assert field in {e["path"].split(".")[0] for e in answer.json()["errors"]}


def test_the_api_needs_manage_runs(api, waiting):
    answer = api("dee", "design").post(
        MOVE, {"to": 2, "mapping": {"review": "approve"}}, format="json"
    )
    assert answer.status_code == 403
    assert versions() == [1] * 6


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_user("olga", password="pw-olga-123")
    user.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    client.force_login(user)
    return client


def test_the_runs_list_moves_the_selected_runs(operator, waiting):
    runs, _ = waiting
    form = {
        "action": "move",
        "run": [r.pk for r in runs[:3]],
        "to_version": "2",
        "mapping": "review=approve",
    }
    answer = operator.post("/runs/bulk/", form, follow=True)
    texts = [str(m) for m in answer.context["messages"]]
    assert "Moved 3 runs from v1 to v2." in texts
    assert versions() == [2, 2, 2, 1, 1, 1]


def test_the_runs_list_says_why_nothing_moved(operator, waiting):
    runs, _ = waiting
    form = {"action": "move", "run": [r.pk for r in runs], "to_version": "2", "mapping": ""}
    answer = operator.post("/runs/bulk/", form, follow=True)
    texts = [str(m) for m in answer.context["messages"]]
    assert texts[0].startswith("No run was moved — runs.")
    assert "the target has no 'review'" in texts[0]
    form.update(to_version="7", mapping="review=approve")
    answer = operator.post("/runs/bulk/", form, follow=True)
    assert "Moves has no version 7." in [str(m) for m in answer.context["messages"]]
    assert versions() == [1] * 6
