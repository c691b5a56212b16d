"""GET /api/v1/me/: who the caller is, their tenant, roles and permissions."""

from __future__ import annotations

from django.contrib.auth.models import Group


def test_a_plain_user(api):
    client = api("pat")
    body = client.get("/api/v1/me/").json()
    assert (body["id"], body["username"], body["is_superuser"]) == (client.user.pk, "pat", False)
    assert (body["tenant"], body["roles"], body["permissions"]) == (None, [], [])
    assert not any(body["can"].values())


def test_roles_and_permissions(api):
    approvers = Group.objects.create(name="approvers")
    client = api("op", "manage", "publish", groups=[approvers])
    body = client.get("/api/v1/me/").json()
    assert body["roles"] == ["approvers"]
    assert body["permissions"] == [
        "engine.design_process",
        "engine.manage_runs",
        "engine.publish_process",
    ]
    assert body["can"] == {
        "design": True,
        "publish": True,
        "manage_runs": True,
        "manage_workitems": False,
        "view_runs": False,
        "view_audit": False,
        "manage_webhooks": False,
    }


def test_a_superuser_can_everything(django_user_model):
    from rest_framework.test import APIClient

    root = django_user_model.objects.create_superuser("root", password="pw-root-123")
    client = APIClient()
    client.force_authenticate(root)
    body = client.get("/api/v1/me/").json()
    assert body["is_superuser"] is True
    assert all(body["can"].values())
    assert "engine.manage_webhooks" in body["permissions"]


def test_the_tenant(api, settings):
    settings.WAYMARK_TENANT_RESOLVER = "tests.api.test_me.acme"
    assert api("pat").get("/api/v1/me/").json()["tenant"] == {"tenant_id": "acme"}


def acme(_who):
    return {"tenant_id": "acme"}


def test_anonymous_and_bad_parameters(anon, api):
    assert anon.get("/api/v1/me/").status_code == 401
    refused = api("pat").get("/api/v1/me/?page=2")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "page"
