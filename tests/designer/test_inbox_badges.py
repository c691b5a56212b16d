# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""The inbox's tab badges count the whole tab, whatever the list's filters.

When no filter narrows the list, a badge is read from the list's own count
(designer/monitoring/views/inbox.py, ``_counts``); these pin that it still
says what a separate count said: capped at 99, not narrowed by a search, the
same with any sort, and the inbox opening on Available when only offers wait.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.designer.test_inbox_at_scale import offer
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


def badges(client, **params) -> dict[str, str]:
    text = client.get(reverse("monitoring:inbox"), params).text
    return dict(re.findall(r'>(My work|Available|Done) <span class="count">([^<]+)</span>', text))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"tab": "available"},
        {"tab": "available", "sort": "oldest"},
        {"tab": "available", "sort": "due"},
        {"tab": "available", "q": "no such task"},
        {"tab": "available", "due": "overdue"},
        {"tab": "mine"},
        {"tab": "mine", "q": "no such task"},
        {"tab": "done", "process": "nope"},
    ],
)
def test_badges_count_the_whole_tab(client, worker, approvers, review, params):
    client.force_login(worker)
    offer(review, 3, group=approvers)
    assert badges(client, **params) == {"My work": "0", "Available": "3", "Done": "0"}
    offer(review, 120, group=approvers, start=100)
    assert badges(client, **params) == {"My work": "0", "Available": "99+", "Done": "0"}


def test_the_inbox_opens_on_available_when_only_offers_wait(client, worker, approvers, review):
    client.force_login(worker)
    offer(review, 2, group=approvers)
    text = client.get(reverse("monitoring:inbox")).text
    assert re.search(r'aria-current="page">Available <span class="count">2</span>', text)
    assert "1–2 of 2" in text
