# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""A person's runs list read by index walks that stop (issue 16): the same runs in the
same order as the full involvement query, page after page, newest or oldest first,
by state; counts past the cap show as capped; the query count does not grow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from designer.monitoring.views import runs as runs_view
from engine.models import ProcessInstance, RunState, WorkItem, WorkItemCandidate, WorkItemState
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    requester,
    review,
    wm,
    worker,
)

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=30)
STATES = [RunState.WAITING, RunState.COMPLETED, RunState.FAILED]


def involve(version, n: int, *, start: int, starter=None, completer=None, group=None) -> None:
    """``n`` runs (a minute apart) in bulk, with a completed task (``completer``) or
    an open offer (``group``), every row carrying its run's start as the engine writes it."""
    runs = ProcessInstance.objects.bulk_create(
        ProcessInstance(
            process_id=version.process_id,
            version=version,
            state=STATES[(start + i) % len(STATES)] if group is None else RunState.WAITING,
            business_key=f"K-{start + i}",
            started_by=starter,
            started_at=T0 + timedelta(minutes=start + i),
        )
        for i in range(n)
    )
    items = WorkItem.objects.bulk_create(
        WorkItem(
            instance=run,
            seq=1,
            activity_key="review",
            activity_kind="human",
            state=WorkItemState.OFFERED if group else WorkItemState.COMPLETED,
            assignee=completer,
            completed_by=completer,
            created_at=run.started_at + timedelta(seconds=1),
            run_started_at=run.started_at,
        )
        for run in runs
    )
    if group is not None:
        WorkItemCandidate.objects.bulk_create(
            WorkItemCandidate(
                workitem=item,
                instance_id=item.instance_id,
                group=group,
                created_at=item.created_at,
                run_started_at=item.run_started_at,
            )
            for item in items
        )


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'href="/runs/(\d+)/"', response.text)]


def counts(response) -> dict[str, str]:
    found = dict(re.findall(r'data-state="(\w+)">([\d,+]+)<', response.text))
    found["all"] = re.search(r'All <span class="count">([\d,+]+)<', response.text).group(1)
    return found


def expected(user, *, oldest: bool = False, state: str | None = None) -> list[int]:
    runs = ProcessInstance.objects.involving(user)
    if state:
        runs = runs.filter(state=state)
    order = ("started_at", "pk") if oldest else ("-started_at", "-pk")
    return list(runs.order_by(*order).values_list("pk", flat=True))


@pytest.fixture
def history(review, worker, requester, approvers):
    """The worker's runs from every source, interleaved in time, and others' runs."""
    involve(review, 20, start=0, starter=worker)
    involve(review, 25, start=7, completer=worker)
    involve(review, 15, start=3, group=approvers)
    involve(review, 30, start=5, starter=requester, completer=requester)  # not the worker's
    return worker


def test_pages_in_order_newest_and_oldest_first_and_by_state(client, history, monkeypatch):
    client.force_login(history)
    url = reverse("monitoring:run_list")
    every = expected(history)
    assert len(every) == 60
    for cap in (1000, 12):  # all read at once; then past the cap (each page walks again)
        monkeypatch.setattr(runs_view, "COUNT_CAP", cap)
        assert listed(client.get(url)) == every[:30]
        assert listed(client.get(url, {"page": 2})) == every[30:60]
        assert listed(client.get(url, {"page": 3})) == []
        oldest = expected(history, oldest=True)
        assert listed(client.get(url, {"sort": "oldest", "page": 2})) == oldest[30:60]
        waiting = expected(history, state="waiting")
        assert listed(client.get(url, {"state": "waiting"})) == waiting[:30]
        assert listed(client.get(url, {"state": "failed"})) == expected(history, state="failed")


def test_counts_are_exact_under_the_cap_and_capped_past_it(client, history, monkeypatch):
    client.force_login(history)
    url = reverse("monitoring:run_list")
    exact = counts(client.get(url))
    assert exact["all"] == "60"
    for state in ("waiting", "completed", "failed"):
        assert exact[state] == str(len(expected(history, state=state)))
    monkeypatch.setattr(runs_view, "COUNT_CAP", 12)
    capped = counts(client.get(url))
    assert capped["all"] == "12+"
    assert all(value.endswith("+") for value in capped.values())
    newest = ProcessInstance.objects.filter(pk__in=expected(history)[:12])
    assert capped["waiting"] == f"{newest.filter(state='waiting').count()}+"


def test_a_long_history_shows_1000_plus(client, review, worker):
    involve(review, 1001, start=0, starter=worker)
    client.force_login(worker)
    response = client.get(reverse("monitoring:run_list"))
    assert counts(response)["all"] == "1,000+"
    assert listed(response) == expected(worker)[:30]


def test_a_filter_the_walks_cannot_apply_still_lists_the_persons_runs(client, history):
    client.force_login(history)
    key = ProcessInstance.objects.get(pk=expected(history)[5]).business_key
    response = client.get(reverse("monitoring:run_list"), {"business_key": key})
    assert listed(response) == expected(history)[5:6]
    assert counts(response)["all"] == "1"


def count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"page": "2"}, {"state": "waiting"}, {"sort": "oldest"}, {"page": "40"}],
)
def test_the_query_count_does_not_grow_with_the_persons_history(
    client, review, worker, approvers, monkeypatch, params
):
    # Past the cap at both sizes: the counts read the first 12 runs, a page beyond
    # them walks once more (page 2: 31-60 in both histories; page 40: empty in both).
    monkeypatch.setattr(runs_view, "COUNT_CAP", 12)
    url = reverse("monitoring:run_list")
    client.force_login(worker)
    involve(review, 20, start=0, starter=worker)
    involve(review, 20, start=5, completer=worker)
    involve(review, 20, start=9, group=approvers)
    few = count_queries(client, url, params)
    involve(review, 200, start=100, starter=worker)
    involve(review, 200, start=150, completer=worker)
    involve(review, 200, start=190, group=approvers)
    assert count_queries(client, url, params) == few


@pytest.mark.parametrize("params", [{}, {"state": "waiting"}, {"sort": "oldest"}])
def test_the_first_page_costs_the_same_under_and_past_the_cap(
    client, review, worker, approvers, monkeypatch, params
):
    monkeypatch.setattr(runs_view, "COUNT_CAP", 100)
    url = reverse("monitoring:run_list")
    client.force_login(worker)
    involve(review, 30, start=0, starter=worker)
    involve(review, 30, start=9, group=approvers)
    few = count_queries(client, url, params)  # every run read: exact counts
    involve(review, 300, start=100, completer=worker)
    involve(review, 300, start=150, group=approvers)
    assert count_queries(client, url, params) == few
