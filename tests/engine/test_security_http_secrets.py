"""An HTTP task's secret bound to hosts is sent to those hosts only.

A designer chooses the URL and which secret goes in which header: without a
binding, ``{"Authorization": "crm_token"}`` on ``https://attacker.example/``
would hand the token over. A secret given with ``hosts`` fails the attempt
anywhere else, before anything is sent.
"""

from __future__ import annotations

import pytest

from engine.models import WorkItemState
from tests.engine import http_task_server
from tests.engine.conftest import deploy

SECRET = "Bearer bound-s3cret-never-sent"


@pytest.fixture
def service(settings, monkeypatch):
    server, httpd = http_task_server.start()
    settings.WAYMARK_HTTP_ALLOWED_HOSTS = [f"127.0.0.1:{server.port}"]
    monkeypatch.setenv("TEST_BOUND_TOKEN", SECRET)
    yield server
    httpd.shutdown()
    httpd.server_close()


def _run(wm, service, code):
    activity = {
        "key": "call",
        "kind": "http",
        "http_url": service.base + "/orders/1",
        "http_headers": {"Authorization": "crm_token"},
        "http_result_key": "order",
        "retry": {"max_attempts": 1},
    }
    deploy([activity], ["start>call", "call>end"], code=code)
    run = wm.start_run(code)
    return run.workitems.get(activity_key="call")


def test_a_secret_bound_to_other_hosts_is_never_sent(wm, service, settings):
    settings.WAYMARK_HTTP_SECRETS = {
        "crm_token": {"value": "env:TEST_BOUND_TOKEN", "hosts": ["crm.example.com"]}
    }
    step = _run(wm, service, "elsewhere")
    assert step.state == WorkItemState.FALLOUT
    assert "the secret 'crm_token' may be sent only to crm.example.com" in step.error
    assert service.requests == []
    assert SECRET not in step.error + step.traceback


def test_a_secret_goes_to_the_host_it_is_bound_to(wm, service, settings):
    settings.WAYMARK_HTTP_SECRETS = {
        "crm_token": {"value": "env:TEST_BOUND_TOKEN", "hosts": [f"127.0.0.1:{service.port}"]}
    }
    step = _run(wm, service, "bound")
    assert step.state == WorkItemState.COMPLETED, step.error
    [seen] = service.requests
    assert seen.headers["Authorization"] == SECRET
