"""/api/v1/webhooks/: endpoints as a resource, with the webhook pages' permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from engine.models import AuditEvent, WebhookEndpoint

HOOKS = "/api/v1/webhooks/"
GOOD = {
    "url": "https://hooks.example.com/waymark",
    "description": "billing",
    "event_types": ["run.completed", "workitem.*"],
    "headers": {"X-Team": "billing"},
}


@pytest.fixture
def manager(api):
    client = api("hooker")
    client.user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    client.force_authenticate(type(client.user).objects.get(pk=client.user.pk))
    return client


@pytest.fixture
def endpoint(manager):
    answer = manager.post(HOOKS, GOOD, format="json")
    assert answer.status_code == 201
    return answer.json()


def test_create_shows_the_secret_once(manager, endpoint):
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert endpoint["secret"] == stored.secret and stored.secret.startswith("whsec_")
    assert endpoint["event_types"] == ["run.completed", "workitem.*"]
    assert endpoint["headers"] == {"X-Team": "billing"}
    assert endpoint["enabled"] is True
    read = manager.get(f"{HOOKS}{endpoint['id']}/").json()
    assert "secret" not in read
    listed = manager.get(HOOKS).json()["results"]
    assert [row["id"] for row in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]
    assert AuditEvent.objects.filter(action="webhook.created").count() == 1


def test_the_secret_can_be_read_on_purpose_and_that_is_audited(manager, endpoint):
    answer = manager.post(f"{HOOKS}{endpoint['id']}/secret/")
    assert answer.status_code == 200
    assert answer.json()["secret"] == endpoint["secret"]
    event = AuditEvent.objects.get(action="webhook.secret_revealed")
    assert event.actor == manager.user
    assert endpoint["secret"] not in str(event.metadata)


def test_rotate_gives_a_new_secret_and_the_old_one_signs_for_a_while(manager, endpoint):
    answer = manager.post(f"{HOOKS}{endpoint['id']}/rotate-secret/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["secret"] != endpoint["secret"]
    assert body["previous_secret_until"] is not None
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert stored.signing_secrets() == [body["secret"], endpoint["secret"]]


def test_update_changes_only_the_given_fields(manager, endpoint):
    answer = manager.patch(f"{HOOKS}{endpoint['id']}/", {"enabled": False}, format="json")
    assert answer.status_code == 200
    assert answer.json()["enabled"] is False
    assert answer.json()["event_types"] == GOOD["event_types"]
    assert answer.json()["url"] == GOOD["url"]
    assert AuditEvent.objects.filter(action="webhook.changed").count() == 1


def test_delete(manager, endpoint):
    assert manager.delete(f"{HOOKS}{endpoint['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert manager.get(f"{HOOKS}{endpoint['id']}/").status_code == 404


@pytest.mark.parametrize(
    "changes,path",
    [
        ({"url": "http://127.0.0.1/hook"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"event_types": ["Not An Event"]}, "event_types"),
        ({"headers": {"Content-Type": "text/plain"}}, "headers"),
        ({"headers": {"bad name": "x"}}, "headers"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(manager, changes, path):
    answer = manager.post(HOOKS, {**GOOD, **changes}, format="json")
    assert answer.status_code == 400
    assert path in {e["path"] for e in answer.json()["errors"]}
    assert not WebhookEndpoint.objects.exists()


def test_people_who_may_not_manage_webhooks(api, endpoint):
    plain = api("plain", "manage", "audit")
    refused = plain.get(HOOKS)
    assert refused.status_code == 403
    assert "manage webhooks" in refused.json()["detail"]
    assert plain.post(HOOKS, GOOD, format="json").status_code == 403
    for answer in (
        plain.get(f"{HOOKS}{endpoint['id']}/"),
        plain.patch(f"{HOOKS}{endpoint['id']}/", {"enabled": False}, format="json"),
        plain.delete(f"{HOOKS}{endpoint['id']}/"),
        plain.post(f"{HOOKS}{endpoint['id']}/secret/"),
        plain.post(f"{HOOKS}{endpoint['id']}/rotate-secret/"),
    ):
        assert answer.status_code == 404
    assert WebhookEndpoint.objects.get().enabled is True


def test_list_filters_and_orders(manager):
    for url in ("https://b.example.com/h", "https://a.example.com/h"):
        manager.post(HOOKS, {"url": url, "enabled": url.startswith("https://a")}, format="json")
    rows = manager.get(HOOKS).json()["results"]
    assert [r["url"] for r in rows] == ["https://a.example.com/h", "https://b.example.com/h"]
    rows = manager.get(f"{HOOKS}?ordering=-url&page_size=1").json()["results"]
    assert [r["url"] for r in rows] == ["https://b.example.com/h"]
    rows = manager.get(f"{HOOKS}?enabled=false").json()["results"]
    assert [r["url"] for r in rows] == ["https://b.example.com/h"]
    assert manager.get(f"{HOOKS}?ordering=secret").status_code == 400
