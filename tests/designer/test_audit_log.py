"""The audit log page: filters, paging, permissions, tenants, query count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.models import AuditEvent
from engine.services import definitions

URL = "/audit/"


@pytest.fixture
def auditor(client, django_user_model):
    user = django_user_model.objects.create_user("audrey", password="pw-audrey-123")
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client.force_login(user)
    return user


def event(action, *, when=None, **fields):
    row = AuditEvent.objects.create(action=action, **fields)
    if when:
        AuditEvent.objects.filter(pk=row.pk).update(created_at=when)
    return row


def shown(response) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', response.content.decode())]


def test_the_log_lists_events_newest_first_with_a_link_in_the_nav(auditor, client):
    first = event("run.started", actor_name="alice")
    second = event("run.completed", actor_name="alice")
    response = client.get(URL)
    assert response.status_code == 200
    assert shown(response) == [second.pk, first.pk]
    assert 'href="/audit/" aria-current="page"' in response.content.decode()


def test_filters_by_action_prefix_process_run_actor_and_dates(auditor, client, django_user_model):
    process = definitions.create_process("invoice", "Invoice")
    other = definitions.create_process("leave", "Leave")
    AuditEvent.objects.all().delete()
    a = event(
        "workitem.completed",
        process=process,
        actor_name="bob",
        when=datetime(2030, 1, 5, 12, tzinfo=UTC),
    )
    b = event(
        "workitem.claimed",
        process=other,
        actor_name="carol",
        when=datetime(2030, 1, 9, 12, tzinfo=UTC),
    )
    c = event(
        "run.completed",
        process=process,
        actor_name="bob",
        when=datetime(2030, 1, 20, 12, tzinfo=UTC),
    )
    assert shown(client.get(URL, {"action": "workitem.*"})) == [b.pk, a.pk]
    assert shown(client.get(URL, {"action": "workitem.claimed"})) == [b.pk]
    assert shown(client.get(URL, {"process": "invoice"})) == [c.pk, a.pk]
    assert shown(client.get(URL, {"actor": "carol"})) == [b.pk]
    assert shown(client.get(URL, {"date_from": "2030-01-06", "date_to": "2030-01-20"})) == [
        c.pk,
        b.pk,
    ]
    assert shown(client.get(URL, {"date_to": "2030-01-05"})) == [a.pk]
    assert shown(client.get(URL, {"process": "invoice", "actor": "bob", "action": "run."})) == [
        c.pk
    ]


def test_filter_by_run_id(auditor, client, settings, django_capture_on_commit_callbacks):
    from engine.services import runtime
    from tests.engine.conftest import deploy

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}],
        ["start>a", "a>end"],
        code="quick",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run1 = runtime.start_run("quick")
        run2 = runtime.start_run("quick")
    ids = shown(client.get(URL, {"run": run2.pk}))
    assert ids
    assert set(AuditEvent.objects.filter(pk__in=ids).values_list("instance_id", flat=True)) == {
        run2.pk
    }
    assert run1.pk not in AuditEvent.objects.filter(pk__in=ids).values_list(
        "instance_id", flat=True
    )


def test_bad_filters_get_clear_errors_and_keep_what_was_typed(auditor, client):
    kept = event("run.started", actor_name="bob")
    response = client.get(URL, {"run": "abc", "date_from": "2030-13-45", "actor": "bob"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "A run id is a whole number" in body
    assert "Enter a date as YYYY-MM-DD" in body
    assert 'value="abc"' in body and 'value="2030-13-45"' in body
    assert shown(response) == [kept.pk]  # the valid filter (actor) still applies
    response = client.get(URL, {"date_from": "2030-02-01", "date_to": "2030-01-01"})
    assert "must not be before" in response.content.decode()


def test_paging_and_a_query_count_independent_of_page_size(auditor, client):
    process = definitions.create_process("invoice", "Invoice")
    for i in range(120):
        event(f"run.step{i % 3}", process=process, version=process.versions.first(), instance=None)
    counts = {}
    for size in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"size": size})
        assert len(shown(response)) == size
        counts[size] = len(queries)
    assert counts[25] == counts[100]
    page2 = client.get(URL, {"size": 100, "page": 2})
    assert len(shown(page2)) == AuditEvent.objects.count() - 100
    assert "Page 2 of 2" in page2.content.decode()
    assert client.get(URL, {"page": "999"}).status_code == 200  # the last page, not an error


def test_htmx_filtering_returns_only_the_results_fragment(auditor, client):
    event("run.started")
    response = client.get(
        URL, {"action": "run.started"}, headers={"HX-Request": "true", "HX-Target": "audit-results"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="audit-results"')
    assert "<html" not in body


def test_people_without_the_permission_see_only_their_own_actions(client, django_user_model):
    walter = django_user_model.objects.create_user("walter")
    mine = event("run.started", actor=walter, actor_name="walter")
    event("run.started", actor_name="someone")
    client.force_login(walter)
    response = client.get(URL)
    assert shown(response) == [mine.pk]
    assert "You see your own actions" in response.content.decode()


def test_the_log_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_tenants_see_only_their_events(auditor, client, settings):
    settings.WAYMARK_TENANT_RESOLVER = "tests.designer.test_audit_log.acme_tenant"
    ours = event("run.started", tenant_id="acme")
    event("run.started", tenant_id="globex")
    assert shown(client.get(URL)) == [ours.pk]


def acme_tenant(who):
    return {"tenant_id": "acme"}


def test_user_text_is_escaped(auditor, client):
    event("run.started", actor_name="<script>alert(1)</script>", metadata={"note": "<b>x</b>"})
    body = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<b>x</b>" not in body
