"""Record triggers read only what an administrator opened, never a secret (every door).

A designer who may draft triggers must not be able to copy password hashes,
API tokens or unlisted fields into run data, the outbox or a signal.
"""

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from engine.errors import DefinitionFileError
from engine.models import ModelEvent, ProcessInstance, Trigger
from engine.runtime import model_events
from engine.runtime.record_snapshots import record_of
from engine.services import transfer

REFUSED = [
    # (trigger fields, refused field, words of the message)
    ({"on": ["create"], "data": {"h": "record.password"}}, "data", "secret"),
    ({"on": ["update"], "watch": ["password"]}, "watch", "secret"),
    ({"on": ["create"], "condition": "record.password == 'x'"}, "condition", "secret"),
    ({"on": ["create"], "data": {"e": "record.email"}}, "data", "User.email is not open"),
    ({"model": "authtoken.Token", "data": {"k": "record.key"}}, "model", "is not open"),
    ({"model": "auth.Permission", "on": ["create"]}, "model", "WAYMARK_TRIGGER_MODELS"),
    (
        {"kind": "date_event", "date_field": "date_joined", "data": {"h": "record.password"}},
        "data",
        "secret",
    ),
]


def _file(**trigger):
    spec = {"key": "t", "kind": "model_event", "model": "auth.User", "on": ["create"]} | trigger
    if spec["kind"] == "date_event":
        del spec["on"]
    data = {
        "format": "waymark.process/1",
        "process": {"code": "leak", "title": "Leak"},
        "triggers": [spec],
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "review", "kind": "human", "roles": ["staff"]},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "review"},
            {"key": "t2", "source": "review", "target": "end"},
        ],
    }
    return json.dumps(data)


@pytest.fixture(autouse=True)
def _fresh_cache():
    model_events.forget_armed()
    yield
    model_events.forget_armed()


@pytest.mark.parametrize(("trigger", "field", "words"), REFUSED)
def test_the_file_refuses_a_trigger_that_reads_a_secret_or_unlisted_field(
    wm, trigger, field, words
):
    with pytest.raises(DefinitionFileError) as caught:
        transfer.import_text(_file(**trigger), filename="leak.json")
    text = " | ".join(f"{p['loc']}: {p['message']}" for p in caught.value.problems)
    assert words in text and f"triggers[0].{field}" in text, text
    assert not Trigger.objects.exists()


def test_the_issue_example_still_imports_with_the_default_setting(wm):
    reads = {"condition": "record.name == 'vip'", "data": {"g": "record.pk"}}
    group = _file(model="auth.Group", watch=["name"], **reads)
    version = transfer.import_text(group, filename="ok.json", publish_it=True)
    assert version.triggers.get().model == "auth.Group"


@pytest.fixture
def designer(db, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root", "r@x.org", "pw"))
    client.post("/api/v1/processes/", {"code": "leak", "title": "Leak"}, format="json")
    return client


D = "/api/v1/processes/leak/versions/1/triggers/"
API_REFUSED = [
    ({"data": {"h": "record.password"}}, "data", "auth.User.password holds a secret"),
    ({"watch": ["password"]}, "watch", "holds a secret"),
    ({"condition": "record.password != ''"}, "condition", "holds a secret"),
    ({"data": {"e": "record.email"}}, "data", "not open to triggers"),
    ({"model": "authtoken.Token", "data": {"k": "record.key"}}, "model", "not open to triggers"),
]


@pytest.mark.parametrize(("change", "path", "words"), API_REFUSED)
def test_the_api_refuses_reading_a_secret_with_a_clear_400(designer, change, path, words):
    body = {"key": "t", "kind": "model_event", "model": "auth.User", "on": ["create"]} | change
    answer = designer.post(D, body, format="json")
    assert answer.status_code == 400, answer.json()
    error = answer.json()["errors"][0]
    assert error["path"] == path and words in error["message"], error
    assert not Trigger.objects.exists()


def test_an_administrator_opens_more_fields_but_never_a_secret(designer, settings):
    settings.WAYMARK_TRIGGER_MODELS = {"auth.User": "__all__"}
    body = {"key": "t", "kind": "model_event", "model": "auth.User", "on": ["create"]}
    answer = designer.post(D, body | {"data": {"e": "record.email"}}, format="json")
    assert answer.status_code == 201, answer.json()
    answer = designer.post(D, body | {"key": "u", "data": {"h": "record.password"}}, format="json")
    assert answer.status_code == 400 and "secret" in answer.json()["errors"][0]["message"]
    settings.WAYMARK_TRIGGER_SECRET_FIELDS = ["email"]
    answer = designer.post(D, body | {"key": "v", "data": {"e": "record.email"}}, format="json")
    assert answer.status_code == 400 and "secret" in answer.json()["errors"][0]["message"]


def test_a_snapshot_holds_only_open_fields(db, settings):
    user = User.objects.create_user("ann", email="ann@example.com", password="pw-ann-123")
    record = record_of(user)
    assert set(record) == {"id", "pk", "username", "is_active", "last_login", "date_joined"}
    settings.WAYMARK_TRIGGER_MODELS = {"auth.User": "__all__"}
    record = record_of(user)
    assert "email" in record and "password" not in record
    settings.WAYMARK_TRIGGER_MODELS = {}
    assert record_of(user) == {"id": user.pk, "pk": user.pk}


def test_a_trigger_published_before_the_rule_copies_no_secret(wm, settings):
    """A stored trigger that reads the password (written before the rule) gets null, not a hash."""
    settings.WAYMARK_TRIGGER_MODELS = {"auth.User": "__all__", "auth.Group": ["name"]}
    text = _file(data={"u": "record.pk", "e": "record.email"})
    version = transfer.import_text(text, filename="old.json", publish_it=True)
    Trigger.objects.filter(version=version).update(
        data={"u": "record.pk", "h": "record.password"}
    )  # as if saved before the rule
    model_events.forget_armed()
    user = wm.run(User.objects.create_user, "bea", password="pw-bea-123")
    [run] = ProcessInstance.objects.filter(trigger_key="t")
    assert run.data == {"u": user.pk, "h": None}
    row = ModelEvent.objects.get()
    assert "password" not in row.record and row.record["pk"] == user.pk


def test_a_record_triggers_run_and_its_signal_stay_in_the_process_tenant(wm):
    from django.contrib.auth.models import Group

    from engine.models import Process
    from engine.services import runtime
    from tests.engine.conftest import deploy

    wait = {"key": "w", "kind": "signal", "signal_name": "event:t", "correlation": "data.g"}
    deploy([wait], ["start > w", "w > end"], code="acme_waits")
    Process.objects.filter(code="acme_waits").update(tenant_id="acme")
    waiting = runtime.start_run("acme_waits", {"g": "4242"})
    group = _file(model="auth.Group", data={"g": "record.pk"})
    transfer.import_text(group, filename="globex.json", publish_it=True)
    Process.objects.filter(code="leak").update(tenant_id="globex")
    model_events.forget_armed()
    wm.run(Group.objects.create, pk=4242, name="vip")
    # (the run's human task makes the group "staff": one more event, as expected)
    [run] = ProcessInstance.objects.filter(process__code="leak", data={"g": 4242})
    assert run.tenant_id == "globex"
    assert ModelEvent.objects.get(record_pk="4242").dispatched_at is not None
    waiting.refresh_from_db()
    assert waiting.state == "waiting"  # globex's event:t never reached acme's run
