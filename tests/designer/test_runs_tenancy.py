# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Tenants: an operator of one tenant neither lists nor opens another tenant's runs or tasks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engine.models import Process
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    deploy_review,
    grant,
    requester,
    review_item,
    wm,
)

pytestmark = pytest.mark.django_db


def tenant_of(who):
    user = getattr(who, "user", who)
    name = user.get_username()
    return {"tenant_id": name.split("-", 1)[0]} if "-" in name else None


@pytest.fixture
def tenants(settings):
    settings.WAYMARK_TENANT_RESOLVER = f"{__name__}.tenant_of"


def test_other_tenants_runs_and_tasks_are_invisible(
    client, wm, tenants, requester, approvers, django_user_model
):
    deploy_review()
    Process.objects.filter(code="expense").update(tenant_id="acme")
    run = wm.start_run("expense", {"requester": "r", "amount": 1}, user=requester)
    assert run.tenant_id == "acme"
    item = review_item(run)

    stranger = django_user_model.objects.create_superuser("globex-olga", password="pw-1")
    stranger.groups.add(approvers)
    client.force_login(stranger)
    assert f"Run {run.pk}<" not in client.get(reverse("monitoring:run_list")).text
    assert client.get(reverse("monitoring:run_detail", args=[run.pk])).status_code == 404
    assert client.get(reverse("monitoring:workitem_detail", args=[item.pk])).status_code == 404
    assert (
        "Approve the expense"
        not in client.get(reverse("monitoring:inbox"), {"tab": "available"}).text
    )
    assert client.get(reverse("monitoring:run_start", args=["expense"])).status_code == 404
    assert client.get(reverse("monitoring:process_monitor", args=["expense"])).status_code == 404

    colleague = django_user_model.objects.create_superuser("acme-olga", password="pw-2")
    client.force_login(colleague)
    assert f"Run {run.pk}<" in client.get(reverse("monitoring:run_list")).text
    assert client.get(reverse("monitoring:run_detail", args=[run.pk])).status_code == 200


def test_a_closed_task_of_another_tenant_stays_hidden(
    client, wm, tenants, requester, approvers, django_user_model
):
    deploy_review()
    Process.objects.filter(code="expense").update(tenant_id="acme")
    run = wm.start_run("expense", {"requester": "r", "amount": 1}, user=requester)
    item = review_item(run)
    wm.complete(item, outcome="REJECTED")
    stranger = django_user_model.objects.create_user("globex-wendy", password="pw-1")
    stranger.groups.add(approvers)  # named by the activity, but of another tenant
    client.force_login(stranger)
    assert client.get(reverse("monitoring:workitem_detail", args=[item.pk])).status_code == 404
