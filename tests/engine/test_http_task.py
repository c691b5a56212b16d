"""The HTTP task against a real local HTTP server, with the address rules on.

The only allowance is the test server's own ``127.0.0.1:<port>``
(WAYMARK_HTTP_ALLOWED_HOSTS): every other private or loopback address is
refused, after DNS and at every redirect hop.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from engine.models import AuditEvent, Incident, RunState, WorkItemState
from engine.services import definitions
from engine.services.transfer import export_version
from tests.engine import http_task_server
from tests.engine.conftest import deploy

SECRET = "Bearer s3cret-value-never-stored"
T0 = datetime(2030, 3, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def service(settings, monkeypatch):
    server, httpd = http_task_server.start()
    settings.WAYMARK_HTTP_ALLOWED_HOSTS = [f"127.0.0.1:{server.port}"]
    settings.WAYMARK_HTTP_SECRETS = {"crm_token": "env:TEST_CRM_TOKEN"}
    monkeypatch.setenv("TEST_CRM_TOKEN", SECRET)
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def _call(code: str, url: str, **fields):
    activity = {"key": "call", "kind": "http", "http_url": url, **fields}
    return deploy([activity], ["start>call", "call>end"], code=code)


def test_a_post_built_from_run_data_stores_the_answer(wm, service):
    version = _call(
        "order",
        service.base + "/orders/{data.customer}?source=waymark",
        http_method="POST",
        http_body={"customer": "{data.customer}", "items": "{data.items}", "note": "for {data.n}"},
        http_headers={"Authorization": "crm_token"},
        http_result_key="order",
    )
    run = wm.start_run("order", {"customer": "ann lee/x", "items": [1, 2], "n": 3})
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.data["order"]["id"] == 42
    [seen] = service.requests
    assert seen.method == "POST" and seen.path == "/orders/ann%20lee%2Fx?source=waymark"
    assert json.loads(seen.body) == {"customer": "ann lee/x", "items": [1, 2], "note": "for 3"}
    step = run.workitems.get(activity_key="call")
    assert seen.headers["Idempotency-Key"] == step.idempotency_key != ""
    assert seen.headers["Authorization"] == SECRET
    assert seen.headers["Content-Type"] == "application/json"
    # The secret went into the request only.
    audit = json.dumps(list(AuditEvent.objects.values("metadata", "action")), default=str)
    assert SECRET not in json.dumps(run.data) and SECRET not in audit
    exported = json.dumps(export_version(version))
    assert SECRET not in exported and '"crm_token"' in exported


def test_a_result_path_picks_part_of_the_answer_and_no_key_merges_an_object(wm, service):
    _call("pick", service.base + "/orders", http_result_path="status", http_result_key="state")
    _call("merge", service.base + "/orders", http_method="PUT", http_body={"a": 1})
    picked = wm.start_run("pick")
    merged = wm.start_run("merge", {"keep": True})
    picked.refresh_from_db()
    merged.refresh_from_db()
    assert picked.data == {"state": "created"}
    assert merged.data == {"keep": True, "id": 42, "status": "created", "got": {"a": 1}}
    assert [r.method for r in service.requests] == ["GET", "PUT"]
    assert service.requests[0].body == b""  # an empty body sends none


def test_a_status_that_is_not_2xx_is_a_failed_attempt_then_an_incident(wm, service, clock):
    _call("broken", service.base + "/broken", retry={"max_attempts": 2, "base_delay": 1})
    run = wm.start_run("broken")
    step = run.workitems.get(activity_key="call")
    assert step.state == WorkItemState.RETRY and step.attempts == 1
    assert "500" in step.error and "database on fire" in step.error
    clock.shift(timedelta(seconds=5))
    wm.fire_due()
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == WorkItemState.FALLOUT and run.state == RunState.FAILED
    incident = Incident.objects.get(instance=run)
    assert "failed 2 time(s)" in incident.message and "answered 500" in incident.message


def test_retries_send_the_same_idempotency_key_until_it_works(wm, service, clock):
    _call("flaky", service.base + "/flaky", retry={"max_attempts": 3, "base_delay": 1})
    run = wm.start_run("flaky")
    for _ in range(2):
        clock.shift(timedelta(seconds=10))
        wm.fire_due()
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data == {"ok": True}
    keys = {r.headers["Idempotency-Key"] for r in service.requests}
    assert service.count("/flaky") == 3 and len(keys) == 1


def test_without_the_allowance_a_loopback_address_is_refused(wm, service, settings):
    settings.WAYMARK_HTTP_ALLOWED_HOSTS = []
    _call("closed", service.base + "/orders", retry={"max_attempts": 1})
    run = wm.start_run("closed")
    step = run.workitems.get(activity_key="call")
    assert step.state == WorkItemState.FALLOUT
    assert "refused" in step.error and "127.0.0.1" in step.error
    assert service.requests == []


def test_a_redirect_to_loopback_by_name_is_refused_after_dns(wm, service):
    _call("hop", service.base + "/to-localhost", retry={"max_attempts": 1})
    run = wm.start_run("hop")
    step = run.workitems.get(activity_key="call")
    assert step.state == WorkItemState.FALLOUT and "refused" in step.error
    assert [r.path for r in service.requests] == ["/to-localhost"]  # never reached /orders


def test_an_answer_over_the_size_cap_is_a_failed_attempt(wm, service, settings):
    settings.WAYMARK_HTTP_MAX_RESPONSE_BYTES = 1000
    _call("big", service.base + "/big", http_result_key="page", retry={"max_attempts": 1})
    run = wm.start_run("big")
    assert "larger than 1000 bytes" in run.workitems.get(activity_key="call").error


def test_a_text_answer_is_stored_as_text_under_its_key(wm, service):
    _call("text", service.base + "/plain", http_result_key="greeting")
    run = wm.start_run("text")
    run.refresh_from_db()
    assert run.data == {"greeting": "hello"}


@pytest.mark.parametrize(
    ("fields", "start", "expected"),
    [
        ({}, {}, "data.customer is not in the run data"),
        ({"http_headers": {"X-Key": "nope"}}, {"customer": 1}, "the secret 'nope' is not"),
        ({"http_result_path": "missing"}, {"customer": 1}, "the answer has no 'missing'"),
    ],
)
def test_what_cannot_be_sent_or_read_says_why(wm, service, fields, start, expected):
    _call("why", service.base + "/orders/{data.customer}", retry={"max_attempts": 1}, **fields)
    run = wm.start_run("why", start)
    step = run.workitems.get(activity_key="call")
    assert step.state == WorkItemState.FALLOUT and expected in step.error
    assert SECRET not in step.error + step.traceback


def test_a_secret_that_breaks_the_request_is_never_quoted(wm, service, monkeypatch):
    monkeypatch.setenv("TEST_CRM_TOKEN", "Bearer abc\r\nX-Evil: 1")
    _call(
        "evil",
        service.base + "/orders",
        http_headers={"Authorization": "crm_token"},
        retry={"max_attempts": 1},
    )
    run = wm.start_run("evil")
    step = run.workitems.get(activity_key="call")
    assert step.state == WorkItemState.FALLOUT
    assert "abc" not in step.error + step.traceback and service.requests == []


def test_an_http_task_takes_the_versions_default_retry(wm, service):
    deploy_file = {
        "format": "waymark.process/1",
        "process": {"code": "once", "title": "Once", "default_retry": {"max_attempts": 1}},
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "call", "kind": "http", "http_url": service.base + "/broken"},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "call"},
            {"key": "t2", "source": "call", "target": "end"},
        ],
    }
    definitions.import_definition(deploy_file, publish_it=True)
    run = wm.start_run("once")
    step = run.workitems.get(activity_key="call")
    assert step.state == WorkItemState.FALLOUT and step.attempts == 1
