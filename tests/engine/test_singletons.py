"""Singleton runs: one active run of a process per value of its singleton_key."""

import pytest
from django.db import IntegrityError, transaction

from engine.errors import DefinitionError
from engine.models import AuditEvent, Process, ProcessInstance, RunState
from engine.services import definitions
from engine.services.runtime import InvalidData
from tests.engine.conftest import deploy

HUMAN = [{"key": "h", "kind": "human", "allowed_users": ["bob"], "outcomes": ["OK"]}]


@pytest.fixture
def guests(wm):
    """A process whose runs wait at a human task, one active run per data.group_id."""
    deploy(HUMAN, ["start>h", "h>end"], code="guests")
    process = Process.objects.get(code="guests")
    definitions.update_process(process, singleton_key="data.group_id")
    return process


def test_a_second_start_with_the_same_value_returns_the_active_run(wm, guests, bob):
    first = wm.start("guests", {"group_id": "g1", "n": 1})
    again = wm.start("guests", {"group_id": "g1", "n": 2}, business_key="dup", user=bob)
    assert first.created is True and again.created is False
    assert again.run.pk == first.run.pk
    assert again.run.data == {"group_id": "g1", "n": 1}  # the existing run is untouched
    assert ProcessInstance.objects.filter(process=guests).count() == 1
    event = AuditEvent.objects.get(action="run.start_deduplicated")
    assert event.instance_id == first.run.pk and event.actor == bob
    assert event.metadata == {
        "singleton_key": "data.group_id",
        "value": "g1",
        "business_key": "dup",
    }
    # start_run (the older door) returns the same run.
    assert wm.start_run("guests", {"group_id": "g1"}).pk == first.run.pk


def test_other_values_make_other_runs_and_numbers_match_their_text(wm, guests):
    a = wm.start_run("guests", {"group_id": 5})
    b = wm.start_run("guests", {"group_id": "5"})
    c = wm.start_run("guests", {"group_id": 5.0})
    d = wm.start_run("guests", {"group_id": 6})
    assert a.pk == b.pk == c.pk != d.pk
    assert a.singleton_value == "5"


@pytest.mark.parametrize(
    "data, words",
    [
        ({}, "needs a value at data.group_id (it is missing, null or empty)"),
        ({"group_id": None}, "needs a value at data.group_id (it is missing, null or empty)"),
        ({"group_id": ""}, "needs a value at data.group_id (it is missing, null or empty)"),
        ({"group_id": {"a": 1}}, "must be a string, a number or a boolean, not an object"),
        ({"group_id": [1]}, "must be a string, a number or a boolean, not a list"),
        ({"group_id": "x" * 201}, "at most 200 characters"),
    ],
)
def test_a_start_without_a_usable_value_is_refused_and_writes_nothing(wm, guests, data, words):
    with pytest.raises(InvalidData) as caught:
        wm.start_run("guests", data)
    assert words in caught.value.message
    assert caught.value.status == 400
    assert caught.value.errors[0]["path"] == "group_id"
    assert not ProcessInstance.objects.exists()


def test_a_nested_key_reads_the_nested_field(wm, guests):
    definitions.update_process(guests, singleton_key="instance.data.stay.guest")
    guests.refresh_from_db()
    assert guests.singleton_key == "data.stay.guest"
    a = wm.start_run("guests", {"stay": {"guest": "ann"}})
    assert wm.start_run("guests", {"stay": {"guest": "ann"}, "x": 1}).pk == a.pk
    with pytest.raises(InvalidData, match="needs a value at data.stay.guest"):
        wm.start_run("guests", {"stay": "ann"})


def test_when_the_run_ends_the_value_starts_a_new_run(wm, guests, bob):
    first = wm.start_run("guests", {"group_id": "g1"})
    wm.cancel_run(first)
    second = wm.start_run("guests", {"group_id": "g1"})
    assert second.pk != first.pk
    item = second.workitems.get(activity_key="h")
    wm.complete(item, user=bob, outcome="OK")
    second.refresh_from_db()
    assert second.state == RunState.COMPLETED
    third = wm.start_run("guests", {"group_id": "g1"})
    assert third.pk not in (first.pk, second.pk)


def test_a_suspended_run_still_holds_its_value(wm, guests):
    first = wm.start_run("guests", {"group_id": "g1"})
    wm.suspend_run(first)
    assert wm.start_run("guests", {"group_id": "g1"}).pk == first.pk


def test_the_database_refuses_a_second_active_run_with_the_value(wm, guests):
    first = wm.start_run("guests", {"group_id": "g1"})
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessInstance.objects.create(process=guests, version=first.version, singleton_value="g1")


def test_a_process_without_a_key_starts_a_run_each_time(wm):
    deploy(HUMAN, ["start>h", "h>end"], code="plain")
    assert wm.start_run("plain", {"group_id": 1}).pk != wm.start_run("plain", {"group_id": 1}).pk


@pytest.mark.parametrize(
    "key, words",
    [
        ("group id", "singleton_key: unexpected 'id'"),
        ("data._secret", "singleton_key: field names may not start with '_'"),
        ("instance.condition", "singleton_key: a data path reads run data"),
        (5, "singleton_key: expected a data path such as data.group_id, not int"),
    ],
)
def test_update_process_refuses_a_key_that_is_not_a_data_path(guests, key, words):
    with pytest.raises(DefinitionError) as caught:
        definitions.update_process(guests, singleton_key=key)
    assert words in caught.value.message
    assert caught.value.errors[0]["path"] == "singleton_key"
    guests.refresh_from_db()
    assert guests.singleton_key == "data.group_id"


def test_update_process_writes_the_key_in_one_form_and_blank_removes_it(guests):
    definitions.update_process(guests, singleton_key=" group_id ")
    guests.refresh_from_db()
    assert guests.singleton_key == "data.group_id"
    definitions.update_process(guests, singleton_key="")
    guests.refresh_from_db()
    assert guests.singleton_key == ""


def test_the_admin_edits_the_key_with_the_same_rules(admin_user_client, guests):
    from django.urls import reverse

    url = reverse("admin:engine_process_change", args=[guests.pk])
    form = {"code": "guests", "title": "Guests", "description": "", "input_schema": "{}"}
    response = admin_user_client.post(url, {**form, "singleton_key": "data._x"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["singleton_key"] == [
        "singleton_key: field names may not start with '_' ('_x') at position 5"
    ]
    response = admin_user_client.post(url, {**form, "singleton_key": "stay.guest"})
    assert response.status_code == 302
    guests.refresh_from_db()
    assert guests.singleton_key == "data.stay.guest"


def _file(singleton_key):
    return {
        "format": "waymark.process/1",
        "process": {"code": "filed", "title": "Filed", "singleton_key": singleton_key},
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "h", "kind": "human", "name": "H", "allowed_users": ["bob"]},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "h"},
            {"key": "t2", "source": "h", "target": "end"},
        ],
    }


def test_the_file_format_carries_the_key_in_its_written_form(wm):
    from engine.services import transfer

    version = definitions.import_definition(_file("instance.data.group_id"), publish_it=True)
    assert version.process.singleton_key == "data.group_id"
    exported = transfer.export_version(version)
    assert exported["process"]["singleton_key"] == "data.group_id"
    first = wm.start_run("filed", {"group_id": 1})
    assert wm.start_run("filed", {"group_id": 1}).pk == first.pk


def test_the_file_format_refuses_a_key_that_is_not_a_data_path(wm):
    from engine.errors import DefinitionFileError

    with pytest.raises(DefinitionFileError) as caught:
        definitions.import_definition(_file("group id"))
    assert caught.value.errors[0]["path"] == "process.singleton_key"
    assert "unexpected 'id'" in caught.value.errors[0]["message"]
    assert not Process.objects.filter(code="filed").exists()


def test_the_start_run_command_says_it_made_no_new_run(wm, guests, capsys):
    from django.core.management import call_command

    call_command("start_run", "guests", "--data", '{"group_id": "g9"}')
    run = ProcessInstance.objects.get()
    call_command("start_run", "guests", "--data", '{"group_id": "g9"}')
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"Started run {run.pk} of guests v1")
    assert out[1] == f"No new run: run {run.pk} of guests is active with the same " + (
        "data.group_id (g9): waiting"
    )
    assert ProcessInstance.objects.count() == 1


def test_every_run_made_by_the_runtime_holds_its_value(wm, guests):
    """Triggers start runs in the runtime layer: the same key rules hold there."""
    from engine.runtime.effects import Effects
    from engine.runtime.starts import start_or_join
    from engine.runtime.walk import create_run

    version = guests.published_version()
    with transaction.atomic():
        run, created = start_or_join(version, {"group_id": "r1"}, effects=Effects())
        assert created and run.singleton_value == "r1"
        again, created = start_or_join(version, {"group_id": "r1"}, effects=Effects())
        assert (again.pk, created) == (run.pk, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        create_run(version, {"group_id": "r1"}, effects=Effects())
    with pytest.raises(InvalidData, match="needs a value at data.group_id"):
        create_run(version, {}, effects=Effects())
    assert ProcessInstance.objects.count() == 1


def _scheduled(trigger_data):
    data = _file("data.group_id")
    data["process"]["code"] = "nightly"
    data["triggers"] = [
        {"key": "tick", "kind": "schedule", "cron": "0 * * * *", "data": trigger_data}
    ]
    return definitions.import_definition(data, publish_it=True)


def _fire(version):
    from datetime import timedelta

    from engine.models import ScheduleFire
    from engine.runtime.triggers import fire_schedule

    fire = ScheduleFire.objects.get(trigger__version=version)
    assert fire_schedule(fire.pk, fire.due_at, fire.due_at + timedelta(minutes=1))


def test_a_schedule_on_a_singleton_process_joins_the_active_run(wm):
    version = _scheduled({"group_id": "night"})
    _fire(version)
    _fire(version)
    run = ProcessInstance.objects.get()
    assert run.trigger_key == "tick" and run.singleton_value == "night"
    fired = list(AuditEvent.objects.filter(action="trigger.fired").order_by("pk"))
    assert [e.instance_id for e in fired] == [run.pk, run.pk]
    assert "joined" not in fired[0].metadata and fired[1].metadata["joined"] is True
    assert AuditEvent.objects.filter(action="run.start_deduplicated", instance=run).count() == 1


def test_a_schedule_without_the_key_value_fails_with_the_reason(wm):
    version = _scheduled({"other": 1})
    _fire(version)
    assert not ProcessInstance.objects.exists()
    failed = AuditEvent.objects.get(action="trigger.failed")
    assert "needs a value at data.group_id" in failed.metadata["error"]
