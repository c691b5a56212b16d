"""API test helpers: callers with the permissions the pages use, and deployed processes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.engine.conftest import approvers, deploy, wm  # noqa: F401  (fixtures and helper)

PERMS = {
    "design": ["design_process"],
    "publish": ["design_process", "publish_process"],
    "manage": ["manage_runs"],
    "workitems": ["manage_workitems"],
    "audit": ["view_auditevent"],
}


@pytest.fixture
def make_user(django_user_model):
    def make(name: str, *perms: str, groups=()):
        user = django_user_model.objects.create_user(name, password=f"pw-{name}-123")
        for codename in perms:
            user.user_permissions.add(Permission.objects.get(codename=codename))
        for group in groups:
            user.groups.add(group)
        return django_user_model.objects.get(pk=user.pk)  # fresh permission cache

    return make


@pytest.fixture
def api(make_user):
    """``api("name", "design")``: an APIClient signed in as a new user with those roles."""

    def client_for(name: str = "pat", *roles: str, groups=()):
        codenames = [codename for role in roles for codename in PERMS[role]]
        user = make_user(name, *codenames, groups=groups)
        client = APIClient()
        client.force_authenticate(user)
        client.user = user
        return client

    return client_for


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def review_process(request):
    """A published process: start -> review (human, outcomes OK/NO, form needs amount) -> end."""
    request.getfixturevalue("wm")
    return deploy(
        [
            {
                "key": "review",
                "kind": "human",
                "name": "Review",
                "allowed_groups": ["approvers"],
                "outcomes": ["OK", "NO"],
                "form_schema": {
                    "type": "object",
                    "properties": {"amount": {"type": "number"}},
                    "required": ["amount"],
                },
            }
        ],
        ["start > review", "review > end"],
        code="review",
        input_schema={
            "type": "object",
            "properties": {"customer": {"type": "string"}},
            "required": ["customer"],
        },
    )
