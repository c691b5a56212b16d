"""Triggers in the Django admin: written through the trigger services; runtime rows read-only."""

import html

import pytest
from django.urls import reverse

from engine.models import AuditEvent, Process, ScheduleFire, Trigger
from engine.services import definitions as svc
from engine.services import triggers as trigger_service

pytestmark = pytest.mark.django_db


def trigger_form(version, **changes) -> dict:
    data = {
        "version": version.pk,
        "key": "nightly",
        "kind": "schedule",
        "cron": "30 7 * * *",
        "timezone": "Asia/Tehran",
        "concurrency": "allow",
        "data": "{}",
        "on": "[]",
        "watch": "[]",
    }
    data.update(changes)
    return data


def test_adding_a_trigger_in_the_admin_uses_the_service_checks(admin_user_client):
    version = svc.create_process("nightly", "Nightly job").versions.get()
    url = reverse("admin:engine_trigger_add")
    response = admin_user_client.post(url, trigger_form(version, cron="61 * * * *"))
    assert response.status_code == 200
    assert "invalid cron '61 * * * *'" in html.unescape(response.content.decode())
    assert not Trigger.objects.exists()
    response = admin_user_client.post(url, trigger_form(version, timezone="Mars/Olympus"))
    assert "unknown time zone 'Mars/Olympus'" in html.unescape(response.content.decode())
    response = admin_user_client.post(url, trigger_form(version))
    assert response.status_code == 302
    assert Trigger.objects.get().timezone == "Asia/Tehran"


def test_a_published_versions_trigger_and_its_armed_fire_are_read_only(admin_user_client):
    version = svc.create_process("nightly", "Nightly job").versions.get()
    trigger = trigger_service.add_trigger(version, "nightly", kind="schedule", cron="0 1 * * *")
    svc.publish(version)
    fire = ScheduleFire.objects.get()
    change = reverse("admin:engine_trigger_change", args=[trigger.pk])
    response = admin_user_client.post(change, trigger_form(version, cron="0 2 * * *"))
    assert response.status_code == 403
    assert Trigger.objects.get().cron == "0 1 * * *"
    page = admin_user_client.get(reverse("admin:engine_schedulefire_change", args=[fire.pk]))
    assert page.status_code == 200 and "Save" not in page.content.decode()
    for name in ("schedulefire", "modelevent", "dateeventfire"):
        assert admin_user_client.get(reverse(f"admin:engine_{name}_changelist")).status_code == 200
        assert admin_user_client.get(reverse(f"admin:engine_{name}_add")).status_code == 403


def test_pause_and_resume_actions_are_audited(admin_user_client):
    process = svc.create_process("nightly", "Nightly job")
    url = reverse("admin:engine_process_changelist")
    admin_user_client.post(url, {"action": "pause_processes", "_selected_action": [process.pk]})
    assert Process.objects.get().paused
    admin_user_client.post(url, {"action": "resume_processes", "_selected_action": [process.pk]})
    assert not Process.objects.get().paused
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["process.paused", "process.resumed"]
