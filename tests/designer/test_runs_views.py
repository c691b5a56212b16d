# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Runs list, run page, live fragment, run actions and the start form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engine.handlers import handler
from engine.models import Incident, ProcessInstance, RunState, WorkItemState
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    deploy,
    grant,
    operator,
    other_worker,
    outsider,
    requester,
    review,
    review_item,
    started,
    wm,
    worker,
)

pytestmark = pytest.mark.django_db

FRAGILE = {"broken": True}


@handler("monitoring_test.fragile")
def fragile(ctx):
    if FRAGILE["broken"]:
        raise RuntimeError("the payment service said <no>")
    return {"paid": True}


@pytest.fixture
def failing(wm, requester):
    FRAGILE["broken"] = True
    deploy(
        [
            {
                "key": "charge",
                "kind": "automatic",
                "name": "Charge",
                "handler": "monitoring_test.fragile",
                "retry": {"max_attempts": 1},
                "compensation_handler": "test.compensate",
            }
        ],
        ["start > charge", "charge > end"],
        code="charging",
    )
    run = wm.start_run("charging", {}, user=requester)
    yield run
    FRAGILE["broken"] = True


# The list ---------------------------------------------------------------------------------


def test_operator_sees_every_run_with_counts_by_state(client, operator, started, failing):
    client.force_login(operator)
    response = client.get(reverse("monitoring:run_list"))
    assert response.status_code == 200
    assert f"Run {started.pk}<" in response.text
    assert f"Run {failing.pk}<" in response.text
    assert 'data-state="failed">1<' in response.text
    assert 'data-state="waiting">1<' in response.text
    assert "Retry selected" in response.text


def test_others_see_only_runs_they_are_involved_in(client, outsider, requester, worker, started):
    client.force_login(outsider)
    assert f"Run {started.pk}<" not in client.get(reverse("monitoring:run_list")).text
    client.force_login(requester)
    assert f"Run {started.pk}<" in client.get(reverse("monitoring:run_list")).text
    client.force_login(worker)  # offered to their group
    text = client.get(reverse("monitoring:run_list")).text
    assert f"Run {started.pk}<" in text
    assert "Retry selected" not in text


def test_filters(client, operator, wm, review, requester, failing):
    a = wm.start_run("expense", {"requester": "r", "amount": 1}, business_key="K-1", user=requester)
    b = wm.start_run("expense", {"requester": "r", "amount": 2}, business_key="K-2", user=requester)
    client.force_login(operator)
    url = reverse("monitoring:run_list")
    text = client.get(url, {"business_key": "K-2"}).text
    assert f"Run {b.pk}<" in text and f"Run {a.pk}<" not in text
    text = client.get(url, {"state": "failed"}).text
    assert f"Run {failing.pk}<" in text and f"Run {a.pk}<" not in text
    text = client.get(url, {"process": "expense", "version": 1}).text
    assert f"Run {a.pk}<" in text and f"Run {failing.pk}<" not in text
    text = client.get(url, {"process": "expense", "version": 9}).text
    assert "No runs match these filters" in text
    today = a.started_at.date().isoformat()
    text = client.get(url, {"started_from": today, "started_to": today}).text
    assert f"Run {a.pk}<" in text
    text = client.get(url, {"started_from": "2001-01-01", "started_to": "2001-01-02"}).text
    assert f"Run {a.pk}<" not in text


def test_bad_filters_are_explained(client, operator, started):
    client.force_login(operator)
    response = client.get(
        reverse("monitoring:run_list"),
        {"started_from": "yesterday-ish", "state": "exploded", "version": "x"},
    )
    assert response.status_code == 200
    assert "Enter a valid date" in response.text
    assert "Select a valid choice" in response.text
    assert f"Run {started.pk}<" in response.text  # the bad filters are ignored


def test_htmx_gets_the_list_fragment(client, operator, started):
    client.force_login(operator)
    response = client.get(reverse("monitoring:run_list"), headers={"HX-Request": "true"})
    assert 'id="runs-body"' in response.text
    assert "<html" not in response.text


def test_pagination(client, operator, wm, review, requester):
    runs = [
        wm.start_run("expense", {"requester": "r", "amount": i}, user=requester) for i in range(32)
    ]
    client.force_login(operator)
    first = client.get(reverse("monitoring:run_list")).text
    assert "1–30 of 32" in first
    assert f"Run {runs[-1].pk}<" in first and f"Run {runs[0].pk}<" not in first
    second = client.get(reverse("monitoring:run_list"), {"page": 2}).text
    assert f"Run {runs[0].pk}<" in second
    assert client.get(reverse("monitoring:run_list"), {"page": "abc"}).status_code == 200


@pytest.mark.parametrize("who", ["operator", "requester"])
def test_list_query_count_is_the_same_for_1_and_30_rows(
    client, wm, review, requester, operator, who
):
    user = operator if who == "operator" else requester

    def add(n):
        for i in range(n):
            wm.start_run("expense", {"requester": "r", "amount": i}, user=requester)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("monitoring:run_list"))
        assert response.status_code == 200
        return len(queries), response

    client.force_login(user)
    add(1)
    one, _ = count()
    add(29)
    thirty, response = count()
    assert response.text.count('class="chip waiting"') == 30
    assert one == thirty


def test_bulk_cancel_and_retry(
    client, operator, started, failing, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    FRAGILE["broken"] = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("monitoring:run_bulk"), {"action": "retry", "run": [failing.pk]}, follow=True
        )
    assert "Retried 1 run" in response.text
    failing.refresh_from_db()
    assert failing.state == RunState.COMPLETED
    response = client.post(
        reverse("monitoring:run_bulk"),
        {"action": "cancel", "run": [started.pk, failing.pk, 999999]},
        follow=True,
    )
    assert "Cancelled 1 run" in response.text
    assert "run 999999: not found" in response.text
    assert f"run {failing.pk}: This run is completed" in response.text
    started.refresh_from_db()
    assert started.state == RunState.CANCELLED


def test_bulk_needs_the_operator_permission(client, requester, started):
    client.force_login(requester)
    response = client.post(
        reverse("monitoring:run_bulk"), {"action": "cancel", "run": [started.pk]}
    )
    assert response.status_code == 403
    started.refresh_from_db()
    assert started.state == RunState.WAITING


def test_bulk_redirect_stays_on_this_site(client, operator, started):
    client.force_login(operator)
    response = client.post(
        reverse("monitoring:run_bulk"),
        {"action": "cancel", "run": [started.pk], "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("monitoring:run_list")


# The run page -------------------------------------------------------------------------------


def test_run_page_shows_states_timeline_and_data(client, requester, started):
    client.force_login(requester)
    response = client.get(reverse("monitoring:run_detail", args=[started.pk]))
    assert response.status_code == 200
    text = response.text
    assert "Waiting" in text and "Expense" in text and "version 1" in text
    assert "by rita" in text
    assert 'class="process-graph' in text
    assert "state-done" in text and "state-waiting" in text and "state-not-reached" in text
    assert "path-taken" in text
    assert 'class="node activity kind-human state-waiting' in text
    assert "run.started" in text and "workitem.created" in text
    assert "&quot;requester&quot;: &quot;rita&quot;" in text
    assert 'hx-trigger="every 2s"' in text
    assert "Cancel run" not in text  # not an operator


def test_run_page_is_404_for_people_not_involved(client, outsider, started):
    client.force_login(outsider)
    assert client.get(reverse("monitoring:run_detail", args=[started.pk])).status_code == 404
    assert client.get(reverse("monitoring:run_live", args=[started.pk])).status_code == 404
    for name in ("run_cancel", "run_retry"):
        assert client.post(reverse(f"monitoring:{name}", args=[started.pk])).status_code == 404
    started.refresh_from_db()
    assert started.state == RunState.WAITING


def test_live_fragment_polls_until_the_run_ends(client, requester, worker, started, wm):
    client.force_login(requester)
    url = reverse("monitoring:run_live", args=[started.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="run-live"' in response.text and "<html" not in response.text
    assert 'hx-trigger="every 2s"' in response.text
    wm.complete(review_item(started), user=worker, outcome="APPROVED")
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 286
    assert "Completed" in response.text
    assert "hx-trigger" not in response.text
    # Without htmx the fragment URL sends the person to the page.
    assert client.get(url).status_code == 302


def test_incident_with_traceback_and_retry(
    client, operator, failing, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    text = client.get(reverse("monitoring:run_detail", args=[failing.pk])).text
    assert "the payment service said &lt;no&gt;" in text
    assert "Traceback" in text and "RuntimeError" in text
    assert ">Retry<" in text and ">Compensate<" in text
    item = failing.workitems.get(activity_key="charge")
    FRAGILE["broken"] = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("monitoring:workitem_retry", args=[failing.pk, item.pk]), follow=True
        )
    assert "The step was retried" in response.text
    failing.refresh_from_db()
    assert failing.state == RunState.COMPLETED
    assert not Incident.objects.filter(instance=failing, resolved_at=None).exists()


def test_retry_and_compensate_need_the_operator_permission(client, requester, failing):
    client.force_login(requester)  # may see the run: they started it
    item = failing.workitems.get(activity_key="charge")
    for name in ("workitem_retry", "workitem_compensate"):
        response = client.post(reverse(f"monitoring:{name}", args=[failing.pk, item.pk]))
        assert response.status_code == 403
    assert client.post(reverse("monitoring:run_cancel", args=[failing.pk])).status_code == 403
    item.refresh_from_db()
    assert item.state == WorkItemState.FALLOUT
    failing.refresh_from_db()
    assert failing.state == RunState.FAILED


def test_compensate_is_queued(client, operator, failing, django_capture_on_commit_callbacks):
    client.force_login(operator)
    item = failing.workitems.get(activity_key="charge")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("monitoring:workitem_compensate", args=[failing.pk, item.pk]), follow=True
        )
    assert "Compensation was queued" in response.text
    item.refresh_from_db()
    assert item.compensated_at is not None


def test_conflicts_are_messages(client, operator, started, wm):
    client.force_login(operator)
    response = client.post(reverse("monitoring:run_retry", args=[started.pk]), follow=True)
    assert "Nothing in this run has fallen out" in response.text
    wm.cancel_run(started)
    response = client.post(reverse("monitoring:run_cancel", args=[started.pk]), follow=True)
    assert "cannot be cancelled" in response.text


def test_step_of_another_run_is_404(client, operator, started, failing):
    client.force_login(operator)
    item = failing.workitems.get(activity_key="charge")
    response = client.post(reverse("monitoring:workitem_retry", args=[started.pk, item.pk]))
    assert response.status_code == 404


# Starting runs ---------------------------------------------------------------------------------


def test_start_form_is_made_from_the_input_schema(client, requester, review):
    client.force_login(requester)
    choose = client.get(reverse("monitoring:run_start_choose")).text
    assert reverse("monitoring:run_start", args=["expense"]) in choose
    text = client.get(reverse("monitoring:run_start", args=["expense"])).text
    assert "Amount (EUR)" in text and 'name="data-amount"' in text
    assert 'name="data-urgent"' in text and 'type="checkbox"' in text
    assert '<option value="&quot;travel&quot;">travel</option>' in text
    assert 'class="required-mark"' in text
    assert 'name="business_key"' in text


def test_start_a_run(client, requester, review, approvers, django_capture_on_commit_callbacks):
    client.force_login(requester)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("monitoring:run_start", args=["expense"]),
            {
                "data-requester": "rita",
                "data-amount": "12.5",
                "data-urgent": "on",
                "data-category": '"food"',
                "business_key": "EXP-7",
            },
        )
    run = ProcessInstance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:run_detail", args=[run.pk])
    assert run.data == {"requester": "rita", "amount": 12.5, "urgent": True, "category": "food"}
    assert run.business_key == "EXP-7" and run.started_by == requester
    assert run.state == RunState.WAITING


def test_bad_start_data_is_shown_and_kept(client, requester, review):
    client.force_login(requester)
    response = client.post(
        reverse("monitoring:run_start", args=["expense"]),
        {"data-requester": "rita", "data-amount": "-3"},
    )
    assert response.status_code == 400
    assert "less than the minimum of 0" in response.text
    assert 'value="rita"' in response.text and 'value="-3"' in response.text
    response = client.post(
        reverse("monitoring:run_start", args=["expense"]),
        {"data-requester": "", "data-amount": "lots"},
    )
    assert response.status_code == 400
    assert "This field is required" in response.text and "Enter a number" in response.text
    assert not ProcessInstance.objects.exists()


def test_start_data_over_the_size_cap_is_413_with_the_reason(client, requester, review, settings):
    settings.WAYMARK_MAX_DATA_BYTES = 200
    client.force_login(requester)
    response = client.post(
        reverse("monitoring:run_start", args=["expense"]),
        {"data-requester": "r" * 300, "data-amount": "3"},
    )
    assert response.status_code == 413
    assert "WAYMARK_MAX_DATA_BYTES" in response.text
    assert not ProcessInstance.objects.exists()


def test_process_without_schema_takes_json(client, requester, wm):
    deploy(
        [{"key": "t", "kind": "timer", "timer_duration": "1d"}],
        ["start > t", "t > end"],
        code="free",
    )
    client.force_login(requester)
    response = client.post(
        reverse("monitoring:run_start", args=["free"]), {"data-__all_data__": "[1"}
    )
    assert response.status_code == 400 and "not valid JSON" in response.text
    response = client.post(
        reverse("monitoring:run_start", args=["free"]), {"data-__all_data__": "[1]"}
    )
    assert response.status_code == 400 and "must be a JSON object" in response.text
    response = client.post(
        reverse("monitoring:run_start", args=["free"]), {"data-__all_data__": '{"a": 1}'}
    )
    assert response.status_code == 302
    assert ProcessInstance.objects.get().data == {"a": 1}


def test_unknown_or_unpublished_process(client, requester, wm):
    client.force_login(requester)
    assert client.get(reverse("monitoring:run_start", args=["nope"])).status_code == 404
    from engine.services import definitions

    definitions.create_process("drafty", "Drafty")
    text = client.get(reverse("monitoring:run_start", args=["drafty"])).text
    assert "no published version" in text
    response = client.post(reverse("monitoring:run_start", args=["drafty"]), {})
    assert response.status_code == 409


def test_history_restore_gets_the_whole_page(client, operator, started):
    client.force_login(operator)
    response = client.get(
        reverse("monitoring:run_list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.text
