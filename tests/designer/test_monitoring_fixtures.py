# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""Shared fixtures of the runs, inbox and monitoring tests (imported by their modules).

``review`` is a small expense process: an automatic check, a human review
offered to the group "approvers" with outcomes and a form, then payment.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from tests.engine.conftest import deploy, wm  # noqa: F401  (wm is a fixture for importers)

INPUT_SCHEMA = {
    "type": "object",
    "required": ["requester", "amount"],
    "properties": {
        "requester": {"type": "string", "minLength": 1, "title": "Requester"},
        "amount": {"type": "number", "minimum": 0, "title": "Amount (EUR)"},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "category": {"type": "string", "enum": ["travel", "food"], "title": "Category"},
    },
}

REVIEW_ACTIVITIES = [
    {"key": "check", "kind": "automatic", "name": "Check the policy", "handler": "test.noop"},
    {
        "key": "review",
        "kind": "human",
        "name": "Approve the expense",
        "roles": ["approvers"],
        "outcomes": ["APPROVED", "REJECTED"],
        "form_schema": {
            "type": "object",
            "properties": {"comment": {"type": "string", "title": "Comment", "maxLength": 20}},
        },
        "sla_warn": "1d",
        "sla_duration": "2d",
    },
    {"key": "pay", "kind": "automatic", "name": "Pay", "handler": "test.noop"},
    {"key": "refused", "kind": "end", "name": "Refused"},
]
REVIEW_EDGES = [
    "start > check",
    "check > review",
    {"source": "review", "target": "pay", "condition": "eq:APPROVED"},
    {"source": "review", "target": "refused", "condition": "eq:REJECTED"},
    "pay > end",
]


def deploy_review(code: str = "expense"):
    return deploy(REVIEW_ACTIVITIES, REVIEW_EDGES, code=code, input_schema=INPUT_SCHEMA)


def grant(user, *codenames: str):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    # Permissions are cached on the user object: read them again.
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def review(wm):
    return deploy_review()


@pytest.fixture
def approvers(db):
    return Group.objects.create(name="approvers")


@pytest.fixture
def worker(django_user_model, approvers):
    user = django_user_model.objects.create_user("wendy", password="pw-wendy-123")
    user.groups.add(approvers)
    return user


@pytest.fixture
def other_worker(django_user_model, approvers):
    user = django_user_model.objects.create_user("wanda", password="pw-wanda-123")
    user.groups.add(approvers)
    return user


@pytest.fixture
def requester(django_user_model):
    return django_user_model.objects.create_user("rita", password="pw-rita-123")


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("oscar", password="pw-oscar-123")


@pytest.fixture
def operator(django_user_model):
    user = django_user_model.objects.create_user("olga", password="pw-olga-123")
    return grant(user, "manage_runs")


@pytest.fixture
def started(wm, review, requester, approvers):
    """A run of ``review`` waiting at the human review."""
    return wm.start_run("expense", {"requester": "rita", "amount": 12}, user=requester)


def review_item(run):
    return run.workitems.get(activity_key="review")
