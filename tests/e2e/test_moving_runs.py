"""An operator moves waiting runs to a new version from the runs list."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import ProcessInstance
from engine.services import runtime
from tests.engine.conftest import deploy
from tests.engine.test_moving_runs import ROUTES, v2_of


@pytest.fixture
def engine_inline(settings):
    from engine.models.definitions import clear_graph_cache

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    yield
    clear_graph_cache()


def test_move_selected_runs_to_the_new_version(page, live_server, login, engine_inline):
    v1 = deploy(
        [
            {"key": "route", "kind": "exclusive"},
            {"key": "review", "kind": "human", "outcomes": ["OK"]},
            {"key": "cool", "kind": "timer", "timer_duration": "1d"},
            {"key": "paid", "kind": "signal", "signal_name": "paid", "correlation": "data.n"},
        ],
        [
            "start>route",
            *(
                {"source": "route", "target": r, "condition": f"data.route == '{r}'"}
                for r in ROUTES
            ),
            "review>end",
            "cool>end",
            "paid>end",
        ],
        code="moves",
    )
    runs = [runtime.start_run("moves", {"route": ROUTES[i % 3], "n": i}) for i in range(3)]
    v2_of(v1)
    user = login("olga")
    user.user_permissions.add(Permission.objects.get(codename="manage_runs"))

    page.goto(f"{live_server.url}/runs/?process=moves")
    for run in runs:
        page.get_by_label(f"Select run {run.pk}").check()
    page.get_by_label("Move selected to version").fill("2")
    page.get_by_role("button", name="Move selected").click()
    expect(page.get_by_text("No run was moved")).to_be_visible()
    expect(page.get_by_text("the target has no 'review'")).to_be_visible()
    assert set(ProcessInstance.objects.values_list("version__number", flat=True)) == {1}

    for run in runs:
        page.get_by_label(f"Select run {run.pk}").check()
    page.get_by_label("Move selected to version").fill("2")
    page.get_by_label("Key mapping").fill("review=approve")
    page.get_by_label("Key mapping").press("Enter")  # moves, never retries or cancels
    expect(page.get_by_text("Moved 3 runs from v1 to v2.")).to_be_visible()
    expect(page.locator("table.runs")).to_contain_text("v2")
    assert set(ProcessInstance.objects.values_list("version__number", flat=True)) == {2}
