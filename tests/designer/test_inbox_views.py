# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Inbox pages and actions through Django's test client."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engine.models import RunState, WorkItemState
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
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


def inbox(client, tab="mine", **params):
    return client.get(reverse("monitoring:inbox"), {"tab": tab, **params})


def test_available_tab_lists_work_offered_to_my_group(client, worker, started):
    client.force_login(worker)
    response = inbox(client, "available")
    assert response.status_code == 200
    assert "Approve the expense" in response.text
    assert "Claim selected" in response.text


def test_inbox_tabs_are_an_htmx_fragment(client, worker, started):
    client.force_login(worker)
    response = client.get(
        reverse("monitoring:inbox"), {"tab": "available"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="inbox-body"' in response.text
    assert "<html" not in response.text


def test_outsider_sees_nothing_and_gets_404(client, outsider, started):
    client.force_login(outsider)
    assert "Approve the expense" not in inbox(client, "available").text
    item = review_item(started)
    url = reverse("monitoring:workitem_detail", args=[item.pk])
    assert client.get(url).status_code == 404
    for action in ("workitem_claim", "workitem_complete", "workitem_release"):
        response = client.post(
            reverse(f"monitoring:{action}", args=[item.pk]), {"outcome": "APPROVED"}
        )
        assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == WorkItemState.OFFERED
    assert item.assignee is None


def test_claim_then_complete_with_outcome(
    client, worker, started, django_capture_on_commit_callbacks
):
    client.force_login(worker)
    item = review_item(started)
    response = client.post(
        reverse("monitoring:workitem_claim", args=[item.pk]), {"version": item.lock_version}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == WorkItemState.ASSIGNED and item.assignee == worker
    assert "Approve the expense" in inbox(client, "mine").text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("monitoring:workitem_complete", args=[item.pk]),
            {"version": item.lock_version, "outcome": "APPROVED", "form-comment": "fine"},
        )
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.state == RunState.COMPLETED
    assert started.data["comment"] == "fine"
    assert "Approve the expense" in inbox(client, "done").text


def test_bad_form_data_is_shown_next_to_the_field_and_kept(client, worker, started):
    client.force_login(worker)
    item = review_item(started)
    response = client.post(
        reverse("monitoring:workitem_complete", args=[item.pk]),
        {"outcome": "APPROVED", "form-comment": "far too long a comment for the form"},
    )
    assert response.status_code == 400
    assert "is too long" in response.text
    assert "far too long a comment for the form" in response.text
    item.refresh_from_db()
    assert item.state == WorkItemState.OFFERED


def test_unknown_outcome_is_refused(client, worker, started):
    client.force_login(worker)
    item = review_item(started)
    response = client.post(
        reverse("monitoring:workitem_complete", args=[item.pk]), {"outcome": "MAYBE"}
    )
    assert response.status_code == 400
    assert "not an outcome" in response.text
    item.refresh_from_db()
    assert item.state == WorkItemState.OFFERED


def test_someone_else_claimed_it_first(client, worker, other_worker, started, wm):
    item = review_item(started)
    wm.claim(item, user=other_worker)
    client.force_login(worker)
    response = client.post(
        reverse("monitoring:workitem_complete", args=[item.pk]), {"outcome": "APPROVED"}
    )
    assert response.status_code == 409
    assert "assigned to wanda" in response.text
    response = client.post(reverse("monitoring:workitem_claim", args=[item.pk]), follow=True)
    assert "already claimed by wanda" in response.text


def test_someone_else_finished_it(client, worker, other_worker, started, wm):
    item = review_item(started)
    seen_version = item.lock_version
    wm.complete(item, user=other_worker, outcome="REJECTED")
    client.force_login(worker)
    response = client.post(
        reverse("monitoring:workitem_complete", args=[item.pk]),
        {"outcome": "APPROVED", "version": seen_version},
    )
    assert response.status_code == 409
    assert "already completed by wanda" in response.text


def test_bulk_claim(client, worker, wm, review, requester, approvers):
    runs = [
        wm.start_run("expense", {"requester": "r", "amount": i}, user=requester) for i in range(3)
    ]
    client.force_login(worker)
    ids = [review_item(r).pk for r in runs]
    response = client.post(reverse("monitoring:bulk_claim"), {"workitem": ids[:2]}, follow=True)
    assert "Claimed 2 tasks" in response.text
    mine = inbox(client, "mine").text
    assert mine.count(">Approve the expense</a>") == 2


def test_bulk_claim_ignores_items_not_offered(client, outsider, started):
    client.force_login(outsider)
    item = review_item(started)
    response = client.post(reverse("monitoring:bulk_claim"), {"workitem": [item.pk]}, follow=True)
    assert "no longer available" in response.text
    item.refresh_from_db()
    assert item.state == WorkItemState.OFFERED


def test_get_is_not_allowed_on_actions(client, worker, started):
    client.force_login(worker)
    item = review_item(started)
    assert client.get(reverse("monitoring:workitem_claim", args=[item.pk])).status_code == 405


def test_anonymous_is_sent_to_login(client, started):
    response = client.get(reverse("monitoring:inbox"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_task_page_shows_form_outcomes_and_graph(client, worker, started):
    client.force_login(worker)
    item = review_item(started)
    response = client.get(reverse("monitoring:workitem_detail", args=[item.pk]))
    assert response.status_code == 200
    text = response.text
    assert 'name="outcome" value="APPROVED"' in text
    assert 'name="outcome" value="REJECTED"' in text
    assert 'name="form-comment"' in text
    assert ">Claim<" in text
    assert 'class="process-graph' in text
    assert 'data-key="review"' in text


def test_candidate_still_sees_a_task_someone_finished(client, worker, other_worker, started, wm):
    item = review_item(started)
    wm.complete(item, user=other_worker, outcome="APPROVED")
    client.force_login(worker)
    response = client.get(reverse("monitoring:workitem_detail", args=[item.pk]))
    assert response.status_code == 200
    assert "This task is closed" in response.text
    assert "by wanda" in response.text


def test_inbox_escapes_user_text(client, worker, wm, review, requester, approvers):
    wm.start_run(
        "expense", {"requester": "r", "amount": 1}, business_key="<b>x</b>", user=requester
    )
    client.force_login(worker)
    text = inbox(client, "available").text
    assert "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text


def test_search_and_filters(client, worker, wm, review, requester, approvers):
    wm.start_run("expense", {"requester": "r", "amount": 1}, business_key="ORDER-1", user=requester)
    wm.start_run("expense", {"requester": "r", "amount": 2}, business_key="ORDER-2", user=requester)
    client.force_login(worker)
    text = inbox(client, "available", q="order-2").text
    assert "ORDER-2" in text and "ORDER-1" not in text
    text = inbox(client, "available", process="nope").text
    assert "Nothing waiting to be claimed with these filters" in text
    response = inbox(client, "available", sort="sideways")
    assert response.status_code == 200
    assert "Select a valid choice" in response.text


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("tab", ["mine", "available", "done"])
def test_inbox_query_count_is_the_same_for_1_and_30_rows(
    client, worker, wm, review, requester, approvers, tab
):
    def add(n):
        for i in range(n):
            run = wm.start_run("expense", {"requester": "r", "amount": i}, user=requester)
            if tab != "available":
                wm.claim(review_item(run), user=worker)
            if tab == "done":
                wm.complete(review_item(run), user=worker, outcome="REJECTED")

    client.force_login(worker)
    add(1)
    one = count_queries(lambda: inbox(client, tab))
    add(29)
    response = inbox(client, tab)
    assert response.text.count(">Approve the expense</a>") == 30
    thirty = count_queries(lambda: inbox(client, tab))
    assert one == thirty


def test_release_gives_the_task_back(client, worker, other_worker, started, wm):
    item = review_item(started)
    wm.claim(item, user=worker)
    client.force_login(other_worker)  # a candidate, but not the assignee
    response = client.post(reverse("monitoring:workitem_release", args=[item.pk]), follow=True)
    assert "Only its assignee" in response.text
    client.force_login(worker)
    page = client.get(reverse("monitoring:workitem_detail", args=[item.pk])).text
    assert ">Release<" in page
    response = client.post(reverse("monitoring:workitem_release", args=[item.pk]), follow=True)
    assert "You released" in response.text
    item.refresh_from_db()
    assert item.state == WorkItemState.OFFERED and item.assignee is None
