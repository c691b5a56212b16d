"""The Django admin is one more door onto the same rules as the designer and the API."""

import pytest
from django.urls import reverse

from engine.models import Activity, Process, Transition, Version, VersionStatus
from engine.services import definitions as svc
from tests.engine.test_definitions import simple_definition

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:engine_{obj._meta.model_name}_change", args=[obj.pk])


def transition_form(transition: Transition, **changes) -> dict:
    data = {
        "version": transition.version_id,
        "key": transition.key,
        "source": transition.source_id,
        "target": transition.target_id,
        "name": transition.name,
        "condition": transition.condition,
        "priority": transition.priority,
    }
    if transition.is_default:
        data["is_default"] = "on"
    data.update(changes)
    return data


def test_adding_a_process_in_the_admin_gives_it_a_draft_v1(admin_user_client):
    response = admin_user_client.post(
        reverse("admin:engine_process_add"),
        {"code": "onboarding", "title": "Onboarding", "description": "", "input_schema": "{}"},
    )
    assert response.status_code == 302
    process = Process.objects.get(code="onboarding")
    version = process.versions.get()
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    assert set(version.activities.values_list("kind", flat=True)) == {"start", "end"}


def test_a_taken_code_gets_the_answer_of_every_door_in_the_admin(admin_user_client):
    svc.create_process("payroll", "Payroll", tenant_id="globex")
    response = admin_user_client.post(
        reverse("admin:engine_process_add"),
        {"code": "payroll", "title": "Again", "description": "", "input_schema": "{}"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [svc.CODE_UNAVAILABLE]
    assert svc.CODE_UNAVAILABLE == "This code is not available: choose another."
    assert Process.objects.get().title == "Payroll"


def test_a_condition_saved_in_the_admin_is_normalized(admin_user_client):
    version = svc.import_definition(simple_definition())
    t2 = version.transitions.get(key="t2")
    response = admin_user_client.post(
        change_url(t2), transition_form(t2, condition="  IN: APPROVED , OK ")
    )
    assert response.status_code == 302
    t2.refresh_from_db()
    assert t2.condition == "in:APPROVED,OK"


def test_strict_mode_shows_an_invalid_condition_in_the_admin_form(admin_user_client, settings):
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    version = svc.import_definition(simple_definition())
    t2 = version.transitions.get(key="t2")
    response = admin_user_client.post(
        change_url(t2), transition_form(t2, condition="instance.data.amount >")
    )
    assert response.status_code == 200
    assert "position" in response.content.decode()
    t2.refresh_from_db()
    assert t2.condition == "eq:APPROVED"


def test_elements_of_a_published_version_cannot_be_changed_in_the_admin(admin_user_client):
    version = svc.import_definition(simple_definition(), publish_it=True)
    t2 = version.transitions.get(key="t2")
    response = admin_user_client.post(change_url(t2), transition_form(t2, condition="eq:OTHER"))
    assert response.status_code == 403
    t2.refresh_from_db()
    assert t2.condition == "eq:APPROVED"


def test_an_activity_cannot_be_added_to_a_published_version(admin_user_client):
    version = svc.import_definition(simple_definition(), publish_it=True)
    response = admin_user_client.post(
        reverse("admin:engine_activity_add"),
        {
            "version": version.pk,
            "key": "extra",
            "kind": "end",
            "retry_max_attempts": 3,
            "retry_base_delay": 2,
            "retry_backoff_factor": 2,
            "retry_max_delay": 300,
            "roles": "[]",
            "allowed_users": "[]",
            "allowed_groups": "[]",
            "outcomes": "[]",
            "form_schema": "{}",
        },
    )
    assert response.status_code == 200
    assert "only drafts can be edited" in response.content.decode()
    assert not Activity.objects.filter(key="extra").exists()


def run_action(client, action: str, versions) -> str:
    response = client.post(
        reverse("admin:engine_version_changelist"),
        {"action": action, "_selected_action": [v.pk for v in versions]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_publish_action_publishes_a_valid_draft(admin_user_client):
    version = svc.import_definition(simple_definition())
    page = run_action(admin_user_client, "publish_versions", [version])
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert "Published leave v1" in page


def test_publish_action_refuses_a_draft_with_errors_and_says_why(admin_user_client):
    data = simple_definition()
    data["transitions"] = data["transitions"][:1]  # review can no longer reach an end
    version = svc.import_definition(data)
    page = run_action(admin_user_client, "publish_versions", [version])
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert "problem(s) to fix before it can be published" in page


def test_clone_action_makes_a_new_draft_with_the_same_keys(admin_user_client):
    version = svc.import_definition(simple_definition(), publish_it=True)
    run_action(admin_user_client, "clone_versions", [version])
    clone = Version.objects.get(process=version.process, number=2)
    assert clone.status == VersionStatus.DRAFT
    assert set(clone.activities.values_list("key", flat=True)) == set(
        version.activities.values_list("key", flat=True)
    )


def test_a_user_without_the_publish_permission_is_not_offered_publish(client, django_user_model):
    staff = django_user_model.objects.create_user("sam", password="pw-sam-12345", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        Permission.objects.get(codename="view_version"),
        Permission.objects.get(codename="design_process"),
    )
    client.force_login(staff)
    version = svc.import_definition(simple_definition())
    response = client.get(reverse("admin:engine_version_changelist"))
    assert "clone_versions" in response.content.decode()
    assert "publish_versions" not in response.content.decode()
    run_action(client, "publish_versions", [version])
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_webhook_endpoints_are_read_only_in_the_admin(admin_user_client):
    """Endpoints change through engine.webhooks.endpoints (checked, audited), never the admin."""
    from engine.models import AuditEvent, WebhookEndpoint
    from engine.webhooks.endpoints import create_endpoint

    response = admin_user_client.post(
        reverse("admin:engine_webhookendpoint_add"),
        {"url": "https://hooks.example.com/waymark", "event_types": "[]", "headers": "{}"},
    )
    assert response.status_code == 403
    assert not WebhookEndpoint.objects.exists()

    endpoint = create_endpoint(url="https://hooks.example.com/waymark")
    assert AuditEvent.objects.filter(action="webhook.created").exists()
    listing = admin_user_client.get(reverse("admin:engine_webhookendpoint_changelist"))
    assert "https://hooks.example.com/waymark" in listing.content.decode()
    change_url = reverse("admin:engine_webhookendpoint_change", args=[endpoint.pk])
    response = admin_user_client.post(change_url, {"url": "http://169.254.169.254/latest"})
    assert response.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/waymark"
