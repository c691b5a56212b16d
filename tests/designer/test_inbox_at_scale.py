# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Available and a person's runs list (issue 16): the candidate index walk stops
after a page, its rows and order are those of the full query, and the query
count does not grow with the number of offers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engine.models import ProcessInstance, RunState, WorkItem, WorkItemCandidate, WorkItemState
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    requester,
    review,
    review_item,
    started,
    wm,
    worker,
)

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=30)


def offer(version, n: int, *, group=None, user=None, start: int = 0, starter=None) -> list[int]:
    """``n`` waiting runs, each with an offered review (created a minute apart,
    newest last), in bulk as the inbox benchmark writes them; their workitem ids."""
    runs = ProcessInstance.objects.bulk_create(
        ProcessInstance(
            process_id=version.process_id,
            version=version,
            state=RunState.WAITING,
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
            name="Approve the expense",
            state=WorkItemState.OFFERED,
            created_at=run.started_at + timedelta(seconds=1),
            run_started_at=run.started_at,  # as the engine writes it
        )
        for run in runs
    )
    WorkItemCandidate.objects.bulk_create(
        WorkItemCandidate(
            workitem=item,
            instance_id=item.instance_id,
            group=group,
            user=user,
            created_at=item.created_at,
            run_started_at=item.run_started_at,
        )
        for item in items
    )
    return [item.pk for item in items]


def listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="workitem" value="(\d+)"', response.text)]


def inbox(client, **params):
    return client.get(reverse("monitoring:inbox"), {"tab": "available", **params})


def newest_first(ids: list[int]) -> list[int]:
    return list(
        WorkItem.objects.filter(pk__in=ids)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
    )


def test_candidates_carry_their_workitems_created_at(started):
    item = review_item(started)
    (candidate,) = WorkItemCandidate.objects.filter(workitem=item)
    assert candidate.created_at == item.created_at


def test_available_lists_my_groups_and_my_own_offers_newest_first(
    client, wm, review, worker, approvers
):
    others = Group.objects.create(name="others")
    second = Group.objects.create(name="second")
    worker.groups.add(second)
    mine = offer(review, 25, group=approvers)
    mine += offer(review, 10, group=second, start=100)
    mine += offer(review, 5, user=worker, start=200)
    hidden = offer(review, 20, group=others, start=300)  # the newest, but not offered to me
    # Offered twice to me (my group and my name): listed once.
    twice = offer(review, 1, group=approvers, start=400)
    WorkItemCandidate.objects.create(
        workitem_id=twice[0],
        instance_id=WorkItem.objects.get(pk=twice[0]).instance_id,
        user=worker,
        created_at=WorkItem.objects.get(pk=twice[0]).created_at,
    )
    mine += twice
    client.force_login(worker)
    expected = newest_first(mine)
    first, second_page = inbox(client), inbox(client, page=2)
    assert listed(first) == expected[:30]
    assert listed(second_page) == expected[30:]
    assert "1–30 of 41" in first.text and "31–41 of 41" in second_page.text
    assert not set(hidden) & set(listed(first) + listed(second_page))
    oldest = inbox(client, sort="oldest")
    assert listed(oldest) == expected[::-1][:30]
    # The walk gives the same rows as the full query.
    assert list(WorkItem.objects.available_first(worker, 41)) == list(
        WorkItem.objects.available(worker)
    )


def test_a_claimed_offer_leaves_available_and_a_released_one_comes_back(
    client, wm, review, worker, approvers
):
    ids = offer(review, 40, group=approvers)
    client.force_login(worker)
    newest = newest_first(ids)
    # Claim the five newest: the walk must look past them (their candidates stay).
    for pk in newest[:5]:
        wm.claim(pk, user=worker)
    assert listed(inbox(client)) == newest[5:35]
    assert "1–30 of 35" in inbox(client).text
    wm.release(newest[0], user=worker)
    assert listed(inbox(client)) == [newest[0], *newest[5:34]]


def test_available_badge_and_pager_count_to_their_caps(client, wm, review, worker, approvers):
    offer(review, 120, group=approvers)
    client.force_login(worker)
    text = inbox(client).text
    assert re.search(r'Available <span class="count">99\+</span>', text)
    assert "1–30 of 120" in text


def count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("monitoring:inbox", {"tab": "available"}),
        ("monitoring:inbox", {"tab": "available", "page": "2"}),
        ("monitoring:inbox", {"tab": "available", "sort": "oldest"}),
        ("monitoring:run_list", {}),
        ("monitoring:run_list", {"state": "waiting"}),
    ],
)
def test_query_count_is_the_same_for_10_and_200_offers(
    client, wm, review, worker, approvers, requester, url_name, params
):
    url = reverse(url_name)
    client.force_login(worker)
    offer(review, 40, group=approvers)  # two pages at least, and a badge count
    offer(review, 5, user=worker, start=1000)
    few = count_queries(client, url, params)
    offer(review, 160, group=approvers, start=2000)
    offer(review, 5, user=worker, start=3000, starter=worker)
    many = count_queries(client, url, params)
    assert few == many
