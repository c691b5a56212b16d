"""model_event and signal triggers through the doors: the file, the service and the API."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from engine.errors import DefinitionError, DefinitionFileError
from engine.models import ProcessInstance, Trigger
from engine.runtime import model_events
from engine.services import transfer, triggers

FILE = """
format: waymark.process/1
process: {code: orders, title: Orders}
triggers:
  - key: placed
    kind: model_event
    model: %(model)s
    on: [create, update]
    watch: %(watch)s
    condition: %(condition)s
    data: %(data)s
  - {key: go, kind: signal, signal: order.go, data: {source: signal}}
activities:
  - {key: start, kind: start}
  - {key: hold, kind: signal, signal_name: hold}
  - {key: end, kind: end}
transitions:
  - {key: t1, source: start, target: hold}
  - {key: t2, source: hold, target: end}
"""
GOOD = {
    "model": "auth.Group",
    "watch": "[name]",
    "condition": "\"record.name == 'vip'\"",
    "data": "{group_id: record.pk}",
}
BAD = [
    ({"model": "auth.Nothing"}, "model 'auth.Nothing' is not an installed model"),
    ({"model": "Group"}, "write app_label.ModelName"),
    ({"model": "engine.ProcessInstance"}, "own bookkeeping are not watched"),
    ({"watch": "[title]"}, "watch: auth.Group has no field 'title'"),
    ({"condition": '"record.name =="'}, "condition: expected a value"),
    ({"condition": "\"data.name == 'x'\""}, "a trigger condition reads the saved record"),
    ({"condition": "record.title == 1"}, "condition: auth.Group has no field 'title'"),
    ({"data": "{group: record.title}"}, "data: record.title: auth.Group has no field 'title'"),
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    model_events.forget_armed()
    yield
    model_events.forget_armed()


def test_the_file_imports_publishes_and_fires(wm):
    version = transfer.import_text(FILE % GOOD, filename="orders.yaml", publish_it=True)
    placed = version.triggers.get(key="placed")
    assert (placed.model, placed.on, placed.watch) == ("auth.Group", ["create", "update"], ["name"])
    group = wm.run(Group.objects.create, name="vip")
    [run] = ProcessInstance.objects.filter(trigger_key="placed")
    assert run.data == {"group_id": group.pk}
    exported = {t["key"]: t for t in transfer.export_version(version)["triggers"]}
    assert exported["placed"]["condition"] == "record.name == 'vip'"
    assert exported["placed"]["data"] == {"group_id": "record.pk"}
    assert exported["go"] == {
        "key": "go",
        "kind": "signal",
        "signal": "order.go",
        "data": {"source": "signal"},
    }


@pytest.mark.parametrize(("change", "message"), BAD)
def test_the_file_refuses_bad_record_triggers_with_their_place(wm, change, message):
    with pytest.raises(DefinitionFileError) as caught:
        transfer.import_text(FILE % (GOOD | change), filename="orders.yaml")
    text = " | ".join(f"{p['loc']}: {p['message']}" for p in caught.value.problems)
    assert message in text and "triggers[0]" in text
    assert not Trigger.objects.exists()


def test_the_service_refuses_a_signal_trigger_without_a_signal(wm):
    version = transfer.import_text(FILE % GOOD, filename="orders.yaml")
    with pytest.raises(DefinitionError, match="a signal trigger needs 'signal'"):
        triggers.add_trigger(version, "nameless", kind="signal")


@pytest.fixture
def designer(db, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root", "r@x.org", "pw"))
    client.post("/api/v1/processes/", {"code": "orders", "title": "Orders"}, format="json")
    return client


D = "/api/v1/processes/orders/versions/1/triggers/"
PLACED = {
    "key": "placed",
    "kind": "model_event",
    "model": "auth.Group",
    "on": ["create"],
    "watch": ["name"],
    "condition": "record.name == 'vip'",
    "data": {"group_id": "record.pk"},
}
API_BAD = [
    ({"model": "auth.Nothing"}, "model", "model 'auth.Nothing' is not an installed model"),
    ({"watch": ["title"]}, "watch", "auth.Group has no field 'title'"),
    ({"condition": "record.name =="}, "condition", "expected a value"),
    ({"condition": "record.title == 1"}, "condition", "auth.Group has no field 'title'"),
    ({"data": {"g": "record.title"}}, "data", "auth.Group has no field 'title'"),
    ({"on": ["saved"]}, "on", ""),
]


def test_the_api_adds_model_event_and_signal_triggers(designer):
    answer = designer.post(D, PLACED, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["condition"] == "record.name == 'vip'"
    signal = {"key": "go", "kind": "signal", "signal": "order.go", "data": {"a": 1}}
    answer = designer.post(D, signal, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["signal"] == "order.go"


@pytest.mark.parametrize(("change", "path", "message"), API_BAD)
def test_the_api_answers_bad_record_triggers_with_a_clear_400(designer, change, path, message):
    answer = designer.post(D, PLACED | change, format="json")
    assert answer.status_code == 400, answer.json()
    error = answer.json()["errors"][0]
    assert error["path"] == path and message in error["message"], error
    assert not Trigger.objects.exists()


def test_a_signal_sent_through_the_api_starts_a_run(wm, django_user_model):
    transfer.import_text(FILE % GOOD, filename="orders.yaml", publish_it=True)
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("op", "o@x.org", "pw"))
    body = {"name": "order.go", "payload": {"n": 1}}
    sent = wm.run(client.post, "/api/v1/signals/", body, format="json")
    assert sent.status_code == 200, sent.json()
    [run] = ProcessInstance.objects.filter(trigger_key="go")
    assert sent.json() == {"woken": [], "started": [run.pk], "kept": False, "pending_signal": None}
    assert run.data == {"source": "signal", "n": 1}  # the trigger's data, the payload over it
    # A run waits for it now? No: the next one starts another run (no waiting run).
    again = wm.run(client.post, "/api/v1/signals/", {"name": "order.go"}, format="json")
    assert len(again.json()["started"]) == 1
