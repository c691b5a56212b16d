"""Triggers in the other doors: the runs list and run page, the audit log, pause and resume."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from designer.audit.trigger_facts import describe
from engine.models import AuditEvent, Process
from engine.runtime.trigger_starts import start_for_trigger
from engine.services import definitions as svc
from engine.services import triggers as trigger_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def nightly():
    """A published process with a schedule trigger; one run it started, one fire it skipped."""
    version = svc.create_process("nightly", "Nightly job").versions.get()
    trigger = trigger_service.add_trigger(
        version, "nightly", kind="schedule", cron="30 7 * * *", timezone="Asia/Tehran"
    )
    svc.publish(version)
    trigger.refresh_from_db()
    started = start_for_trigger(trigger, {}, {"scheduled_for": "2026-11-28T04:00:00+00:00"})
    trigger_service.set_paused(version.process, True)
    trigger.version.process.refresh_from_db()
    start_for_trigger(trigger, {}, {"scheduled_for": "2026-11-29T04:00:00+00:00"})
    trigger_service.set_paused(version.process, False)
    return {"trigger": trigger, "run": started.run}


@pytest.fixture
def admin(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-root-1"))
    return client


def test_runs_filtered_by_trigger_with_the_fires_that_started_none(admin, nightly):
    body = html.unescape(admin.get("/runs/", {"trigger": "nightly"}).content.decode())
    assert f"Run {nightly['run'].pk}" in body
    assert 'class="run-trigger">nightly</a>' in body
    assert "Fires of <code>nightly</code> that started no run" in body
    assert "Trigger nightly skipped: the process is paused" in body
    # Another trigger's runs are not listed.
    body = admin.get("/runs/", {"trigger": "weekly"}).content.decode()
    assert f"Run {nightly['run'].pk}<" not in body
    assert "No runs match these filters." in body


def test_the_run_page_names_the_trigger_that_started_it(admin, nightly):
    body = admin.get(f"/runs/{nightly['run'].pk}/").content.decode()
    assert '<code id="run-trigger">nightly</code>' in body
    assert "?process=nightly&amp;trigger=nightly" in body


def test_the_audit_log_says_what_each_trigger_event_means(admin, nightly):
    body = html.unescape(admin.get("/audit/", {"action": "trigger.*"}).content.decode())
    assert f"Trigger nightly fired: started run {nightly['run'].pk}" in body
    assert "Trigger nightly skipped: the process is paused" in body


def test_trigger_facts_in_words():
    assert describe("trigger.failed", {"trigger": "t", "error": "bad data"}) == (
        "Trigger t failed: bad data."
    )
    assert describe(
        "trigger.skipped", {"trigger": "t", "running": 7, "scheduled_for": "x", "missed": True}
    ) == (
        "Trigger t skipped: run 7 of this trigger is still active (concurrency: skip) "
        "(scheduled for x; a missed fire, caught up once)."
    )
    assert describe("trigger.fired", {"trigger": "t", "joined": True}, 3) == (
        "Trigger t fired: joined the active run 3 (singleton key)."
    )
    assert describe("run.started", {"trigger": "t"}) == ""


def test_pause_and_resume_from_the_versions_page_are_audited(django_user_model):
    svc.create_process("nightly", "Nightly job")
    user = django_user_model.objects.create_user("pat", password="pw-pat-123")
    user.user_permissions.add(Permission.objects.get(codename="publish_process"))
    client = Client()
    client.force_login(user)
    response = client.post("/processes/nightly/pause/", follow=True)
    assert "Paused Nightly job" in html.unescape(response.content.decode())
    assert Process.objects.get(code="nightly").paused
    assert AuditEvent.objects.filter(action="process.paused", actor=user).exists()
    response = client.post("/processes/nightly/resume/", follow=True)
    assert not Process.objects.get(code="nightly").paused
    assert AuditEvent.objects.filter(action="process.resumed", actor=user).exists()


def test_pausing_needs_the_publish_permission(django_user_model):
    svc.create_process("nightly", "Nightly job")
    client = Client()
    client.force_login(django_user_model.objects.create_user("vic", password="pw-vic-1234"))
    assert client.post("/processes/nightly/pause/").status_code == 403
    assert not Process.objects.get(code="nightly").paused


def test_the_compare_page_shows_every_kinds_fields_in_words(admin):
    from engine.models import Trigger

    process = svc.create_process("guests", "Guest journey")
    v1 = process.versions.get()
    trigger_service.add_trigger(
        v1, "nightly", kind="schedule", cron="30 7 * * *", timezone="Asia/Tehran"
    )
    svc.publish(v1)
    v2 = svc.clone(v1)
    trigger_service.delete_trigger(v2.triggers.get(key="nightly"))
    # Rows of kinds whose runtime may not be built yet, written as the file would hold them.
    Trigger.objects.create(
        version=v2,
        key="vip_created",
        kind="model_event",
        model="auth.Group",
        on=["create", "update"],
        watch=["name"],
        condition="record.name == 'vip'",
    )
    Trigger.objects.create(
        version=v2,
        key="before_due",
        kind="date_event",
        model="auth.User",
        date_field="last_login",
        offset="-1h",
    )
    Trigger.objects.create(version=v2, key="go", kind="signal", signal="guest.arrived")
    body = html.unescape(admin.get("/processes/guests/compare/", {"a": 1, "b": 2}).content.decode())
    for text in (
        "30 7 * * * (At 07:30)",
        "Asia/Tehran",
        "on events",
        "create, update",
        "watched fields",
        "record.name == 'vip'",
        "last_login",
        "-1h (1 hour before the date)",
        "signal name",
        "guest.arrived",
    ):
        assert text in body, text


def test_a_triggers_runs_show_their_errors(admin, nightly):
    from engine.models import Incident

    Incident.objects.create(
        instance=nightly["run"], kind="handler", message="the report service said no"
    )
    body = admin.get("/runs/", {"trigger": "nightly"}).content.decode()
    assert 'class="small run-error"' in body and "the report service said no" in body


def test_model_event_and_signal_facts_in_words():
    assert describe(
        "trigger.fired",
        {"trigger": "vip", "event": "create", "model": "auth.Group", "pk": "5"},
        9,
    ) == ("Trigger vip fired: started run 9 (on create; model auth.Group; record 5).")
    assert describe(
        "trigger.skipped",
        {"trigger": "go", "signal": "guest.arrived", "correlation": "7", "reason": "x"},
    ) == ("Trigger go skipped: x (signal guest.arrived; correlation 7).")
