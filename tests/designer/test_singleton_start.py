# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Singleton runs in the browser: the start page shows the active run instead of a second
one, and a process is created with its singleton key."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from engine.models import AuditEvent, Process, ProcessInstance
from engine.services import definitions
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    outsider,
    requester,
    review,
    wm,
)

pytestmark = pytest.mark.django_db

START = reverse("monitoring:run_start", args=["expense"])
FORM = {"data-requester": "rita", "data-amount": "12"}


@pytest.fixture
def singleton(review):
    process = Process.objects.get(code="expense")
    definitions.update_process(process, singleton_key="data.requester")
    return process


def test_the_start_page_says_one_run_per_value(client, requester, singleton):
    client.force_login(requester)
    text = client.get(START).text
    assert 'id="singleton-note"' in text and "<code>data.requester</code>" in text


def test_a_second_start_shows_the_active_run(client, requester, singleton):
    client.force_login(requester)
    first = client.post(START, FORM)
    run = ProcessInstance.objects.get()
    assert first["Location"] == reverse("monitoring:run_detail", args=[run.pk])
    again = client.post(START, {**FORM, "data-amount": "99"}, follow=True)
    assert again.redirect_chain == [(reverse("monitoring:run_detail", args=[run.pk]), 302)]
    assert (
        f"No new run: run {run.pk} of “Expense” is active with the same "
        "data.requester (rita), so it is shown instead." in again.text
    )
    assert ProcessInstance.objects.count() == 1
    assert AuditEvent.objects.filter(action="run.start_deduplicated", instance=run).count() == 1


def test_someone_elses_active_run_is_not_shown(client, requester, outsider, singleton):
    client.force_login(requester)
    client.post(START, FORM)
    client.force_login(outsider)
    response = client.post(START, FORM)
    assert response.status_code == 409
    assert (
        "No new run: an active run of “Expense” already holds this data.requester, "
        "and you may not open it." in response.text
    )
    assert ProcessInstance.objects.count() == 1


def test_a_key_the_form_cannot_fill_is_a_clear_400(client, requester, singleton):
    definitions.update_process(singleton, singleton_key="data.group_id")
    client.force_login(requester)
    response = client.post(START, FORM)
    assert response.status_code == 400
    assert "group_id: required: one active run per data.group_id" in response.text
    assert not ProcessInstance.objects.exists()


@pytest.fixture
def designer(client, django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client.force_login(user)
    return client


def test_a_process_is_created_with_its_singleton_key(designer):
    create = reverse("versions:process_create")
    response = designer.post(create, {"code": "stay", "title": "Stay", "singleton_key": "guest"})
    assert response.status_code == 302
    assert Process.objects.get(code="stay").singleton_key == "data.guest"
    response = designer.post(create, {"code": "stay2", "title": "S", "singleton_key": "a b"})
    assert response.status_code == 400
    assert "singleton_key: unexpected &#x27;b&#x27;" in response.text
    assert 'value="a b"' in response.text
    assert not Process.objects.filter(code="stay2").exists()
