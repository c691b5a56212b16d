# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""The list rows' text (designer/monitoring/rows.py) is what Django's tags and filters drew."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from designer.monitoring.rows import local_text, pk_url, run_rows
from engine.models import ProcessInstance
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    requester,
    review,
    started,
    wm,
)


@pytest.mark.parametrize("name", ["monitoring:run_detail", "monitoring:workitem_detail"])
@pytest.mark.parametrize("prefix", ["/", "/waymark/"])
def test_a_rows_link_is_the_reversed_url(name, prefix):
    set_script_prefix(prefix)
    try:
        link = pk_url(name)
        for pk in (1, 42, 7_654_321_098_765, 2**63 - 1):
            assert link(pk) == reverse(name, args=[pk])
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_times_read_as_the_date_filter_draws_them_in_the_current_zone(zone):
    moments = [
        datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # Paris moves to summer time at 01:00
        datetime(2026, 11, 28, 23, 5, 7, 999_999, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    template = Template('{{ t|date:"Y-m-d H:i:s" }}|{{ t|date:"Y-m-d H:i" }}')
    with timezone.override(zone):
        for moment in moments:
            drawn = template.render(Context({"t": moment}))
            assert f"{local_text(moment)}|{local_text(moment, seconds=False)}" == drawn
    assert local_text(None) == ""


def _run(started, **changes):
    run = ProcessInstance.objects.get(pk=started.pk)
    run.business_key, run.trigger_key, run.state = "", "", "failed_at_end"
    run.started_by, run.ended_at = None, None
    for key, value in changes.items():
        setattr(run, key, value)
    return run


@pytest.mark.django_db
def test_a_run_row_shows_words_not_values(started, review):
    (row,) = run_rows([_run(started)])
    assert row["state_label"] == "Failed (at an end)"
    assert row["started_by"] == "system"  # no person started it
    assert row["business_key"] == "—"
    assert row["ended"] == "—"
    assert row["error"] == ""
    assert row["url"] == reverse("monitoring:run_detail", args=[started.pk])
    assert (row["process"], row["version"]) == (review.process.title, str(review.number))


@pytest.mark.django_db
def test_a_run_row_carries_the_trigger_historys_error(started, requester):
    (row,) = run_rows([_run(started, error="boom", started_by=requester, business_key="B-1")])
    assert (row["error"], row["started_by"], row["business_key"]) == ("boom", "rita", "B-1")
