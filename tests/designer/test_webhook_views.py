"""Webhook pages: list, create (bad input), secret shown once, deliveries, retry, permissions."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from standardwebhooks import Webhook

from engine.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from engine.webhooks import endpoints
from tests.engine.test_webhooks_receiver import receiver_fixture  # noqa: F401

SECRET_RE = re.compile(r"whsec_[A-Za-z0-9+/=]+")


@pytest.fixture
def manager(client, django_user_model, settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    user = django_user_model.objects.create_user("mona", password="pw-mona-123")
    user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    client.force_login(user)
    return user


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what a request queued for after its commit (the delivery), as a worker would."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def outsider(client, django_user_model):
    user = django_user_model.objects.create_user("otto", password="pw-otto-123")
    client.force_login(user)
    return user


@pytest.fixture
def local_receiver(receiver, settings):
    settings.WAYMARK_WEBHOOK_ALLOW_PRIVATE = True
    return receiver


def create(client, **fields):
    data = {
        "url": "https://hooks.example.com/in",
        "description": "",
        "event_types": "",
        "headers": "",
        "enabled": "on",
    }
    data.update(fields)
    return client.post("/webhooks/new/", data)


def fragment(client, endpoint) -> str:
    response = client.get(
        f"/webhooks/{endpoint.pk}/", headers={"HX-Request": "true", "HX-Target": "deliveries"}
    )
    return response.content.decode()


def test_the_list_shows_endpoints(manager, client):
    endpoints.create_endpoint(
        "https://a.example.com/in", description="Billing", event_types="run.*"
    )
    response = client.get("/webhooks/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "https://a.example.com/in" in body and "Billing" in body and "run.*" in body


def test_create_shows_the_secret_once(manager, client):
    response = create(
        client,
        description="Billing",
        event_types="run.completed, workitem.*",
        headers='{"X-Team": "billing"}',
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{endpoint.pk}/"
    assert endpoint.event_types == ["run.completed", "workitem.*"]
    assert endpoint.headers == {"X-Team": "billing"}
    first = client.get(response["Location"]).content.decode()
    assert endpoint.secret in first
    second = client.get(response["Location"]).content.decode()
    assert endpoint.secret not in second and not SECRET_RE.search(second)
    assert not SECRET_RE.search(client.get("/webhooks/").content.decode())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "ftp://files.example.com/"}, "must start with https://"),
        ({"url": "https://me:pw@example.com/"}, "not in the URL"),
        ({"url": "http://127.0.0.1:9000/"}, "private, loopback"),
        ({"url": ""}, "required"),
        ({"headers": "{not json"}, "must be a JSON object"),
        ({"headers": '{"webhook-signature": "x"}'}, "cannot be overridden"),
        ({"event_types": "Run Completed!"}, "is not an event type"),
    ],
)
def test_create_with_bad_input_shows_the_error_and_keeps_what_was_typed(
    manager, client, fields, message
):
    response = create(client, description="keep me", **fields)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert 'value="keep me"' in body
    assert not WebhookEndpoint.objects.exists()


def test_edit_disable_enable_and_delete(manager, client):
    endpoint = endpoints.create_endpoint("https://a.example.com/in")
    page = client.get(f"/webhooks/{endpoint.pk}/edit/")
    assert 'value="https://a.example.com/in"' in page.content.decode()
    bad = client.post(
        f"/webhooks/{endpoint.pk}/edit/", {"url": "http://169.254.169.254/", "enabled": "on"}
    )
    assert bad.status_code == 400 and "private" in bad.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://a.example.com/in"
    ok = client.post(
        f"/webhooks/{endpoint.pk}/edit/",
        {"url": "https://b.example.com/in", "event_types": "run.*", "enabled": "on"},
    )
    assert ok.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types) == ("https://b.example.com/in", ["run.*"])
    client.post(f"/webhooks/{endpoint.pk}/enabled/", {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    client.post(f"/webhooks/{endpoint.pk}/enabled/", {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_rotating_shows_the_new_secret_once(manager, client):
    endpoint = endpoints.create_endpoint("https://a.example.com/in")
    old = endpoint.secret
    response = client.post(f"/webhooks/{endpoint.pk}/rotate/", follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(f"/webhooks/{endpoint.pk}/").content.decode()


def test_send_test_event_and_see_the_delivery(manager, client, local_receiver, after_commit):
    endpoint = endpoints.create_endpoint(local_receiver.url + "/in", event_types="run.completed")
    with after_commit(execute=True):
        response = client.post(f"/webhooks/{endpoint.pk}/test/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "deliveries-changed" in response["HX-Trigger"]
    assert response.content.decode().lstrip().startswith('<section id="deliveries"')
    # (In a test the fragment is rendered before the commit; the next poll shows the result.)
    body = fragment(client, endpoint)
    assert "test.ping" in body and "Succeeded" in body and ">200<" in body
    got = local_receiver.received[0]
    assert Webhook(endpoint.secret).verify(got.body, got.headers)["action"] == "test.ping"
    event = AuditEvent.objects.get(action="test.ping")
    assert event.actor_name == "mona"
    # Without HTMX: a redirect back to the page, which lists the delivery.
    with after_commit(execute=True):
        response = client.post(f"/webhooks/{endpoint.pk}/test/", follow=True)
    assert response.content.decode().count("test.ping") >= 2


def test_the_delivery_log_shows_failures_and_retry_now_sends_again(
    manager, client, local_receiver, after_commit
):
    endpoint = endpoints.create_endpoint(local_receiver.url + "/in")
    local_receiver.answers = [500, 200]
    with after_commit(execute=True):
        client.post(f"/webhooks/{endpoint.pk}/test/")
    row = WebhookDelivery.objects.get()
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Failed" in page and "The receiver answered 500." in page and "Retry now" in page
    assert 'hx-trigger="deliveries-changed from:body, every 2s"' in page  # watching it
    with after_commit(execute=True):
        response = client.post(
            f"/webhooks/deliveries/{row.pk}/retry/", headers={"HX-Request": "true"}
        )
    assert "deliveries-changed" in response["HX-Trigger"]
    body = fragment(client, endpoint)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status_code) == ("succeeded", 2, 200)
    assert "Succeeded" in body and "Retry now" not in body
    assert "every 2s" not in body  # nothing left to watch: polling stops


def test_deliveries_fragment_for_htmx_polls(manager, client):
    endpoint = endpoints.create_endpoint("https://a.example.com/in")
    response = client.get(
        f"/webhooks/{endpoint.pk}/", headers={"HX-Request": "true", "HX-Target": "deliveries"}
    )
    assert response.content.decode().lstrip().startswith('<section id="deliveries"')


def test_without_permission_nothing_changes_and_nothing_is_revealed(outsider, client, settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    endpoint = endpoints.create_endpoint("https://a.example.com/in")
    endpoints_before = list(WebhookEndpoint.objects.values())
    from engine.webhooks import delivery

    (row,) = delivery.send_test_event(endpoint=endpoint, dispatch=False)
    assert client.get("/webhooks/").status_code == 403
    assert create(client).status_code == 403
    for url in (f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/edit/"):
        assert client.get(url).status_code == 404
    for url in (
        f"/webhooks/{endpoint.pk}/edit/",
        f"/webhooks/{endpoint.pk}/enabled/",
        f"/webhooks/{endpoint.pk}/delete/",
        f"/webhooks/{endpoint.pk}/rotate/",
        f"/webhooks/{endpoint.pk}/test/",
        f"/webhooks/deliveries/{row.pk}/retry/",
    ):
        assert (
            client.post(url, {"url": "https://evil.example.com/", "enabled": "0"}).status_code
            == 404
        )
    assert list(WebhookEndpoint.objects.values()) == endpoints_before
    row.refresh_from_db()
    assert row.attempts == 0 and WebhookDelivery.objects.count() == 1


def test_changes_need_post_and_csrf(manager, client, django_user_model):
    from django.test import Client

    endpoint = endpoints.create_endpoint("https://a.example.com/in")
    assert client.get(f"/webhooks/{endpoint.pk}/delete/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    assert strict.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_another_tenants_endpoint_is_a_404(manager, client, settings):
    settings.WAYMARK_TENANT_RESOLVER = "tests.designer.test_webhook_views.acme_tenant"
    theirs = endpoints.create_endpoint("https://globex.example.com/", tenant_id="globex")
    ours = create(client, url="https://acme.example.com/")
    assert WebhookEndpoint.objects.get(url="https://acme.example.com/").tenant_id == "acme"
    assert ours.status_code == 302
    assert client.get(f"/webhooks/{theirs.pk}/").status_code == 404
    assert client.post(f"/webhooks/{theirs.pk}/delete/").status_code == 404
    assert "globex.example.com" not in client.get("/webhooks/").content.decode()


def acme_tenant(who):
    return {"tenant_id": "acme"}


def test_user_text_is_escaped(manager, client):
    endpoint = endpoints.create_endpoint(
        "https://a.example.com/<b>x", description='<script>alert("d")</script>'
    )
    body = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "<script>alert" not in body and "<b>x" not in body
