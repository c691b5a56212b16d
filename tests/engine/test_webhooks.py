"""Signed webhooks: signing, real deliveries on localhost, retries, SSRF refusals, the command."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests_hardened.ip_filter_adapter as ip_filter_adapter
from django.core.management import CommandError, call_command
from standardwebhooks import Webhook, WebhookVerificationError

from engine.conf import waymark_setting
from engine.errors import InvalidData, NotAllowed
from engine.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from engine.runtime import audit
from engine.webhooks import delivery, endpoints
from engine.webhooks.signing import signature_headers
from tests.engine.conftest import deploy
from tests.engine.test_webhooks_receiver import receiver_fixture  # noqa: F401

T0 = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def private_ok(settings):
    settings.WAYMARK_WEBHOOK_ALLOW_PRIVATE = True


def make_endpoint(url, **fields) -> WebhookEndpoint:
    return endpoints.create_endpoint(url, **fields)


def ping(action="order.shipped", **fields) -> AuditEvent:
    return audit.record(action, metadata={"order": 7}, **fields)


def only_delivery() -> WebhookDelivery:
    (row,) = WebhookDelivery.objects.all()
    return row


# Signing ---------------------------------------------------------------------------------------


def test_signature_verifies_with_the_standard_webhooks_library():
    secret = WebhookEndpoint(url="https://example.com").secret
    assert secret.startswith("whsec_")
    now = datetime.now(UTC)
    body = '{"id":1,"action":"test.ping"}'
    headers = signature_headers([secret], "msg_1", now, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"id": 1, "action": "test.ping"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("1", "2"), headers)  # tampered body
    other = WebhookEndpoint(url="https://example.com").secret
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)  # forged with another key
    stale = signature_headers([secret], "msg_1", now - timedelta(minutes=10), body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, stale)  # a replay


def test_after_rotation_both_secrets_verify_during_the_grace_period(db):
    endpoint = make_endpoint("https://hooks.example.com/in")
    old = endpoint.secret
    new = endpoints.rotate_secret(endpoint)
    assert new != old
    now = datetime.now(UTC)
    headers = signature_headers(endpoint.signing_secrets(), "msg_2", now, "{}")
    Webhook(new).verify("{}", headers)
    Webhook(old).verify("{}", headers)
    assert endpoint.signing_secrets(now + timedelta(days=2)) == [new]


# Real deliveries -------------------------------------------------------------------------------


def test_an_engine_event_reaches_a_real_server_and_its_signature_verifies(wm, receiver, private_ok):
    endpoint = make_endpoint(
        receiver.url + "/hooks", event_types="run.completed", headers={"X-Team": "billing"}
    )
    deploy([{"key": "a", "kind": "automatic", "handler": "test.noop"}], ["start>a", "a>end"])
    run = wm.start_run(f"p{_last_code()}")
    assert [r.path for r in receiver.received] == ["/hooks"]  # run.completed only
    got = receiver.received[0]
    body = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert body["action"] == "run.completed"
    assert body["instance_id"] == run.pk
    assert body["process"] == run.process.code and body["version"] == 1
    assert set(body) >= {
        "id",
        "created_at",
        "actor",
        "workitem_id",
        "activity",
        "transition",
        "status_from",
        "status_to",
        "metadata",
    }
    assert got.headers["X-Team"] == "billing"
    assert got.headers["Content-Type"] == "application/json"
    row = only_delivery()
    assert (row.state, row.attempts, row.last_status_code) == ("succeeded", 1, 200)
    assert row.message_id == got.headers["webhook-id"]
    assert row.response_excerpt == "answered 200"


def _last_code():
    from engine.models import Process

    return Process.objects.order_by("-pk").first().code.removeprefix("p")


def test_a_receiver_answering_500_gets_the_delivery_retried_until_it_answers_200(
    wm, receiver, private_ok, time_machine
):
    time_machine.move_to(T0, tick=False)
    endpoint = make_endpoint(receiver.url)
    receiver.answers = [500, 500, 200]
    wm.run(ping)
    row = only_delivery()
    assert (row.state, row.attempts, row.last_status_code) == ("failed", 1, 500)
    assert "500" in row.last_error
    first_wait = row.next_attempt_at - T0
    assert timedelta(seconds=10) <= first_wait <= timedelta(seconds=11)

    assert wm.reconcile()["webhooks_sent"] == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1
    time_machine.shift(first_wait)
    assert wm.reconcile()["webhooks_sent"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 2)
    second_wait = row.next_attempt_at - (T0 + first_wait)
    assert timedelta(seconds=40) <= second_wait <= timedelta(seconds=44)  # exponential

    time_machine.shift(second_wait)
    wm.reconcile()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status_code) == ("succeeded", 3, 200)
    assert row.next_attempt_at is None and row.last_error == ""
    bodies = {r.body for r in receiver.received}
    assert len(bodies) == 1  # every retry sends the same bytes, with the same message id
    assert {r.headers["webhook-id"] for r in receiver.received} == {row.message_id}
    for got in receiver.received:
        Webhook(endpoint.secret).verify(got.body, got.headers)


def test_a_delivery_is_given_up_after_the_maximum_attempts(
    wm, receiver, private_ok, settings, time_machine
):
    settings.WAYMARK_WEBHOOK_MAX_ATTEMPTS = 3
    time_machine.move_to(T0, tick=False)
    make_endpoint(receiver.url)
    receiver.answers = [503]
    wm.run(ping)
    for _ in range(5):
        time_machine.shift(timedelta(hours=2))
        wm.reconcile()
    row = only_delivery()
    assert (row.state, row.attempts) == ("given_up", 3)
    assert len(receiver.received) == 3
    assert row.next_attempt_at is None and row.finished_at is not None


def test_retry_now_sends_a_given_up_delivery_again(wm, receiver, private_ok, settings):
    settings.WAYMARK_WEBHOOK_MAX_ATTEMPTS = 1
    make_endpoint(receiver.url)
    receiver.answers = [500, 200]
    wm.run(ping)
    row = only_delivery()
    assert row.state == "given_up"
    wm.run(delivery.retry_now, row)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status_code) == ("succeeded", 2, 200)


def test_a_binary_or_huge_answer_is_recorded_as_a_short_excerpt(wm, receiver, private_ok):
    make_endpoint(receiver.url)
    receiver.reply = b"\x00\xff binary " + b"x" * 10_000
    wm.run(ping)
    row = only_delivery()
    assert row.state == "succeeded"
    assert len(row.response_excerpt) <= 2000 and "\x00" not in row.response_excerpt


def test_a_duplicate_message_sends_nothing_twice(wm, receiver, private_ok):
    make_endpoint(receiver.url)
    wm.run(ping)
    row = only_delivery()
    assert delivery.deliver(row.pk) == "not due"
    assert len(receiver.received) == 1


def test_a_lost_message_is_sent_again_by_the_reconciler(
    wm, receiver, private_ok, settings, time_machine
):
    time_machine.move_to(T0, tick=False)
    endpoint = make_endpoint(receiver.url)
    event = AuditEvent.objects.create(action="order.shipped")  # (creates a delivery...)
    WebhookDelivery.objects.all().delete()
    delivery.create_deliveries(event, [endpoint], dispatch=False)  # ...whose message is lost
    assert wm.reconcile()["webhooks_sent"] == 0  # its message may still be on its way
    time_machine.shift(timedelta(seconds=waymark_setting("RECONCILE_AFTER_SECONDS") + 1))
    assert wm.reconcile()["webhooks_sent"] == 1
    assert only_delivery().state == "succeeded"
    assert len(receiver.received) == 1


def test_extra_headers_never_override_the_signature(wm, receiver, private_ok):
    endpoint = make_endpoint(receiver.url)
    # Stored directly, as an old row or the admin could: delivery still ignores it.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        headers={"webhook-signature": "v1,forged", "Webhook-Id": "x", "X-Ok": "yes"}
    )
    wm.run(ping)
    got = receiver.received[0]
    assert got.headers["X-Ok"] == "yes"
    assert got.headers["webhook-id"] == only_delivery().message_id
    Webhook(endpoint.secret).verify(got.body, got.headers)
    assert "forged" not in got.headers["webhook-signature"]


def test_event_types_tenants_and_disabled_endpoints_choose_who_receives(db, settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    everything = make_endpoint("https://a.example.com/")
    runs_only = make_endpoint("https://b.example.com/", event_types=["run.*"])
    exact = make_endpoint("https://c.example.com/", event_types="workitem.completed")
    acme = make_endpoint("https://d.example.com/", tenant_id="acme")
    off = make_endpoint("https://e.example.com/", enabled=False)
    WebhookDelivery.objects.all().delete()  # (the endpoints' own audit events)

    def receivers(action, tenant_id=""):
        event = AuditEvent.objects.create(action=action, tenant_id=tenant_id)
        return {d.endpoint for d in WebhookDelivery.objects.filter(event=event)}

    assert receivers("run.completed") == {everything, runs_only}
    assert receivers("workitem.completed") == {everything, exact}
    assert receivers("runner.x") == {everything}
    assert receivers("run.failed", tenant_id="acme") == {everything, runs_only, acme}
    assert receivers("run.failed", tenant_id="other") == {everything, runs_only}
    assert off not in receivers("run.failed")
    settings.WAYMARK_WEBHOOK_ENABLED = False
    assert receivers("run.completed") == set()


def test_deliveries_roll_back_with_their_event(db):
    from django.db import transaction

    make_endpoint("https://a.example.com/")
    before = WebhookDelivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        ping()
        raise RuntimeError("the change failed")
    assert WebhookDelivery.objects.count() == before


# SSRF ------------------------------------------------------------------------------------------


def sent_to(url, wm) -> WebhookDelivery:
    # Stored directly: the save-time check is tested below; this is the send-time check.
    endpoint = WebhookEndpoint.objects.create(url=url)
    wm.run(ping)
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_a_loopback_address_is_refused_when_sending(wm, receiver):
    row = sent_to(receiver.url, wm)
    assert row.state == "failed" and row.last_status_code is None
    assert "Refused" in row.last_error and "127.0.0.1" in row.last_error
    assert receiver.received == []


def test_a_host_name_resolving_to_loopback_is_refused(wm, receiver, monkeypatch):
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "innocent.example.com":
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    row = sent_to(f"http://innocent.example.com:{receiver.port}/", wm)
    assert "Refused" in row.last_error
    assert receiver.received == []


def test_a_redirect_to_loopback_is_refused(wm, receiver, monkeypatch):
    """The first hop is allowed (a public host); the redirect's hop is checked again."""
    real = ip_filter_adapter.filter_host

    def filter_host(hostname, port, *, allow_loopback):
        if hostname == "public.example.com":
            return "127.0.0.1"  # pretend this public name's server is our receiver
        return real(hostname, port, allow_loopback=allow_loopback)

    monkeypatch.setattr(ip_filter_adapter, "filter_host", filter_host)
    receiver.redirects["/start"] = f"http://127.0.0.1:{receiver.port}/inside"
    row = sent_to(f"http://public.example.com:{receiver.port}/start", wm)
    assert [r.path for r in receiver.received] == ["/start"]  # never reached /inside
    assert "Refused" in row.last_error and "127.0.0.1" in row.last_error


def test_redirects_are_followed_when_private_addresses_are_allowed(wm, receiver, private_ok):
    receiver.redirects["/old"] = f"{receiver.url}/new"
    row = sent_to(receiver.url + "/old", wm)
    assert [(r.method, r.path) for r in receiver.received] == [("POST", "/old"), ("POST", "/new")]
    assert row.state == "succeeded"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/",
        "http://100.64.1.1/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_metadata_private_and_cgnat_addresses_are_refused_when_sending(wm, url):
    row = sent_to(url, wm)
    assert row.state == "failed"
    assert "Refused" in row.last_error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the URL"),
        ("ftp://example.com/x", "https://"),
        ("example.com/hooks", "https://"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://exa mple.com/", "spaces"),
        ("https:///nohost", "no host"),
        ("http://127.0.0.1:8000/", "private"),
        ("http://localhost/", "private"),
        ("http://169.254.169.254/", "private"),
        ("http://100.64.0.1/", "private"),
        ("http://[::1]/", "private"),
        ("https://example.com:99999/", "valid URL"),
    ],
)
def test_bad_urls_are_refused_when_saved_with_a_clear_error(db, url, message):
    with pytest.raises(InvalidData) as info:
        make_endpoint(url)
    assert message in info.value.errors[0]["message"]
    assert info.value.errors[0]["path"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_model_validation_applies_the_same_url_rules(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        WebhookEndpoint(url="http://169.254.169.254/").full_clean()
    assert "private" in info.value.message_dict["url"][0]
    WebhookEndpoint(url=" https://example.com/in ").full_clean()


def test_private_urls_are_accepted_when_allowed(db, private_ok):
    assert make_endpoint("http://127.0.0.1:8000/in").url == "http://127.0.0.1:8000/in"


def test_bad_headers_and_event_types_are_refused_with_every_problem_listed(db):
    with pytest.raises(InvalidData) as info:
        make_endpoint(
            "https://example.com/",
            headers='{"X-A": ',
            event_types="run.completed, Bad Type!",
        )
    paths = {e["path"] for e in info.value.errors}
    assert paths == {"headers", "event_types"}
    with pytest.raises(InvalidData, match="cannot be overridden"):
        make_endpoint("https://example.com/", headers={"Webhook-Signature": "x"})
    with pytest.raises(InvalidData, match="one line"):
        make_endpoint("https://example.com/", headers={"X-A": "a\r\nX-B: b"})
    with pytest.raises(InvalidData, match="JSON object"):
        make_endpoint("https://example.com/", headers="[1, 2]")
    assert not WebhookEndpoint.objects.exists()


def test_people_without_the_permission_cannot_manage_endpoints(db, django_user_model):
    from django.contrib.auth.models import Permission

    alice = django_user_model.objects.create_user("alice")
    with pytest.raises(NotAllowed):
        endpoints.create_endpoint("https://example.com/", user=alice)
    endpoint = make_endpoint("https://example.com/")
    for call in (
        lambda: endpoints.update_endpoint(endpoint, user=alice, url="https://x.example.com/"),
        lambda: endpoints.rotate_secret(endpoint, user=alice),
        lambda: endpoints.set_enabled(endpoint, False, user=alice),
        lambda: endpoints.delete_endpoint(endpoint, user=alice),
    ):
        with pytest.raises(NotAllowed):
            call()
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.url == "https://example.com/"
    alice.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    alice = django_user_model.objects.get(pk=alice.pk)
    assert endpoints.create_endpoint("https://ok.example.com/", user=alice).pk
    actions = AuditEvent.objects.filter(action__startswith="webhook.").values_list(
        "action", "actor_name"
    )
    assert ("webhook.created", "alice") in list(actions)
    assert all("whsec_" not in json.dumps(e.metadata) for e in AuditEvent.objects.all())


# The command -----------------------------------------------------------------------------------


def test_send_webhook_command_sends_a_test_ping_and_prints_the_results(
    db, receiver, private_ok, capsys
):
    good = make_endpoint(receiver.url + "/good", event_types="run.completed")
    receiver.redirects = {}
    call_command("send_webhook", "--action", "test.ping")
    out = capsys.readouterr().out
    assert f"endpoint {good.pk} {receiver.url}/good: succeeded (HTTP 200)" in out
    assert "test.ping: 1 delivered, 0 failed" in out
    got = receiver.received[0]
    body = Webhook(good.secret).verify(got.body, got.headers)
    assert body["action"] == "test.ping" and body["metadata"] == {"test": True}


def test_send_webhook_command_to_one_endpoint_reports_failures(db, receiver, private_ok, capsys):
    make_endpoint(receiver.url + "/other")
    bad = make_endpoint(receiver.url + "/bad")
    receiver.answers = [500]
    call_command("send_webhook", "--action", "test.ping", "--endpoint", str(bad.pk))
    out = capsys.readouterr().out
    assert "failed (HTTP 500)" in out and "next attempt at" in out
    assert "0 delivered, 1 failed" in out
    assert [r.path for r in receiver.received] == ["/bad"]


def test_send_webhook_command_refuses_bad_input(db):
    with pytest.raises(CommandError, match="No webhook endpoint with id 999"):
        call_command("send_webhook", "--endpoint", "999")
    make_endpoint("https://example.com/")
    with pytest.raises(CommandError, match="not an action name"):
        call_command("send_webhook", "--action", "Test Ping")
    assert not AuditEvent.objects.filter(action__startswith="test").exists()


def test_send_webhook_command_without_endpoints_says_so(db, capsys):
    call_command("send_webhook")
    assert "nothing sent" in capsys.readouterr().out


# The default backend -----------------------------------------------------------------------------


def test_with_django_q_the_delivery_is_a_queued_task_carrying_only_its_id(
    db, settings, django_capture_on_commit_callbacks, receiver, private_ok
):
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from engine.webhooks import tasks

    if "orm" not in settings.Q_CLUSTER:
        pytest.skip("reads the message from Django-Q2's ORM broker")
    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        ping()
    row = only_delivery()
    (message,) = OrmQ.objects.all()
    task = SignedPackage.loads(message.payload)
    assert (task["func"], task["args"]) == ("engine.webhooks.tasks.deliver", (row.pk,))
    assert receiver.received == []  # nothing sent in the request

    assert tasks.deliver(*task["args"]) == "succeeded"  # what the worker runs
    assert tasks.deliver(*task["args"]) == "not due"  # a duplicate message
    assert len(receiver.received) == 1
