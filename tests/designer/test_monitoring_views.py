# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Process monitoring: per-activity figures and the heatmap."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from designer.monitoring.stats import percentile, short_duration, version_stats
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    grant,
    operator,
    outsider,
    requester,
    review,
    review_item,
    wm,
    worker,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, None), ([4.0], 0.5, 4.0), ([1, 2, 3, 4], 0.5, 2), ([*range(1, 101)], 0.95, 95)],
)
def test_percentile_nearest_rank(values, fraction, expected):
    assert percentile(values, fraction) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.25, "250 ms"), (42, "42 s"), (420, "7 min"), (3 * 3600, "3.0 h"), (2 * 86400, "2.0 d")],
)
def test_short_duration(seconds, text):
    assert short_duration(timedelta(seconds=seconds)) == text


def _runs_with_reviews(wm, requester, worker, hours):
    start = timezone.now() - timedelta(days=2)
    runs = []
    for i, h in enumerate(hours):
        with time_machine.travel(start + timedelta(minutes=i), tick=False):
            run = wm.start_run("expense", {"requester": "r", "amount": i}, user=requester)
        with time_machine.travel(start + timedelta(minutes=i, hours=h), tick=False):
            wm.complete(review_item(run), user=worker, outcome="REJECTED")
        runs.append(run)
    return runs


def test_version_stats(wm, review, requester, worker):
    _runs_with_reviews(wm, requester, worker, hours=[1, 2, 3, 10])
    wm.start_run("expense", {"requester": "r", "amount": 1}, user=requester)
    now = timezone.now()
    stats = version_stats(review, now - timedelta(days=30), now + timedelta(seconds=1))
    assert stats["review"].open == 1
    assert stats["review"].visits == 5
    assert stats["review"].median == timedelta(hours=2)
    assert stats["review"].p95 == timedelta(hours=10)
    assert stats["check"].open == 0


def test_monitor_page_draws_the_heatmap(client, wm, review, requester, worker, operator):
    _runs_with_reviews(wm, requester, worker, hours=[1, 3])
    wm.start_run("expense", {"requester": "r", "amount": 1}, user=requester)
    client.force_login(operator)
    response = client.get(reverse("monitoring:process_monitor", args=["expense"]))
    assert response.status_code == 200
    text = response.text
    assert 'class="process-graph' in text
    assert "heat-4" in text  # the activity with the most open work
    assert "1 open" in text
    assert "Approve the expense" in text
    assert "1.0 h" in text and "3.0 h" in text
    text = client.get(
        reverse("monitoring:process_monitor", args=["expense"]),
        {"measure": "median", "days": "7", "version": "1"},
    ).text
    assert "Heatmap: Median duration" in text


def test_monitor_bad_parameters_fall_back(client, review, operator):
    client.force_login(operator)
    response = client.get(
        reverse("monitoring:process_monitor", args=["expense"]),
        {"measure": "<script>", "days": "zzz", "version": "99"},
    )
    assert response.status_code == 200
    assert "<script>" not in response.text
    assert "Heatmap: Open workitems" in response.text


def test_the_period_shown_is_the_period_counted(client, review, operator):
    client.force_login(operator)
    url = reverse("monitoring:process_monitor", args=["expense"])
    text = client.get(url, {"measure": "visits"}).text
    assert '<option value="30" selected>Last 30 days</option>' in text
    assert "last 30 days" in text


def test_monitor_is_for_operators_and_designers(client, review, outsider, worker):
    url = reverse("monitoring:process_monitor", args=["expense"])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(grant(worker, "design_process"))
    assert client.get(url).status_code == 200
    assert client.get(reverse("monitoring:process_monitor", args=["nope"])).status_code == 404


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 s"),
        (0.7, "42 s"),
        (12, "12 min"),
        (61, "1 h"),
        (60 * 24, "1 d"),
        (60 * 27, "1 d 3 h"),
    ],
)
def test_time_to_go(minutes, text):
    from designer.monitoring.badges import until

    assert until(timedelta(minutes=minutes)) == text
