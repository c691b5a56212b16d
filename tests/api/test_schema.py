"""Schemathesis against /api/v1/schema/: generated requests, valid and invalid, never a 5xx.

Every operation gets requests with generated path parameters (mostly objects
that do not exist) and requests pinned to real objects (a published process,
a draft, a run, an open task), with valid and invalid bodies and queries, over
HTTP against the live server, as a superuser and as a user without any
permission. Hypothesis is derandomized so a CI run is repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode

from engine.models import Incident
from engine.services import definitions, runtime
from engine.webhooks.endpoints import create_endpoint

# Examples per operation: as the superuser (every door open), then as a user without any
# permission (the 403 and 404 paths).
EXAMPLES = {"root": 15, "plain": 5}


@pytest.fixture
def world(transactional_db, django_user_model, review_process, settings):
    # ?wait= on an active run would hold each generated request for up to a minute.
    settings.WAYMARK_API_MAX_WAIT_SECONDS = 0.05
    root = django_user_model.objects.create_superuser("root", password="pw-root-123")
    plain = django_user_model.objects.create_user("plain", password="pw-plain-123")
    definitions.create_process("orders", "Orders")
    run = runtime.start_run("review", {"customer": "ana"})
    task = run.workitems.get(activity_key="review")
    endpoint = create_endpoint("https://hooks.example.com/waymark")
    incident = Incident.objects.create(instance=run, kind="stuck", message="pinned for the test")
    return {
        "tokens": {
            "root": Token.objects.create(user=root).key,
            "plain": Token.objects.create(user=plain).key,
        },
        "pins": {
            "code": "orders",
            "number": "1",
            "key": "start",
            "run_id": str(run.pk),
            "workitem_id": str(task.pk),
            "event_id": "1",
            "endpoint_id": str(endpoint.pk),
            "incident_id": str(incident.pk),
        },
    }


@pytest.mark.parametrize("who", ["root", "plain"])
def test_no_generated_request_gets_a_server_error(live_server, world, who):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    headers = {"Authorization": f"Token {world['tokens'][who]}"}
    failures, statuses = [], []
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletes and cancels last: the pinned draft and run serve every other operation first.
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", "cancel" in op.path))
    assert len(operations) > 25

    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        pinned = {k: v for k, v in world["pins"].items() if k in names}
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if pinned:
            strategies += [
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters=pinned),
                operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=pinned),
            ]

        @given(case=st.one_of(strategies))
        @settings(
            max_examples=EXAMPLES[who],
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(base_url=live_server.url, headers=headers, timeout=30)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} query={case.query!r} "
                    f"body={str(case.body)[:200]!r} -> {response.status_code}"
                )

        call()

    assert not failures, "\n".join(failures[:20])
    # The token worked and the pinned objects were reached: this was no run of 401s and 404s.
    assert 401 not in statuses
    assert sum(200 <= code < 300 for code in statuses) > (50 if who == "root" else 10)
    if who == "plain":
        assert 403 in statuses


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_or_an_options_request_gets_json_on_every_url(api, review_process):
    run = runtime.start_run("review", {"customer": "x"})
    task = run.workitems.get(activity_key="review")
    client = api("root", "publish", "manage", "workitems")
    client.user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    client.force_authenticate(type(client.user).objects.get(pk=client.user.pk))
    version = "/api/v1/processes/review/versions/1"
    urls = [
        "/api/v1/processes/",
        "/api/v1/processes/review/",
        "/api/v1/processes/review/versions/",
        "/api/v1/processes/review/versions/import/",
        f"{version}/",
        f"{version}/clone/",
        f"{version}/validate/",
        f"{version}/diff/?against=1",
        f"{version}/activities/",
        f"{version}/activities/review/",
        f"{version}/transitions/",
        "/api/v1/runs/",
        f"/api/v1/runs/{run.pk}/",
        f"/api/v1/runs/{run.pk}/cancel/",
        "/api/v1/signals/",
        "/api/v1/workitems/",
        f"/api/v1/workitems/{task.pk}/",
        f"/api/v1/workitems/{task.pk}/complete/",
        "/api/v1/audit/",
        "/api/v1/incidents/",
        "/api/v1/webhooks/",
        "/api/v1/me/",
    ]
    for url in urls:
        for answer in (client.get(url, HTTP_ACCEPT=BROWSER_ACCEPT), client.options(url)):
            assert answer.status_code in (200, 405), (url, answer.status_code)
            assert answer["Content-Type"] == "application/json", url
            assert answer.json()
