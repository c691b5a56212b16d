"""model_event triggers: a record's create/update/delete starts a run through an outbox."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from engine.models import AuditEvent, ModelEvent, PendingSignal, Process, ProcessInstance
from engine.runtime import model_events
from engine.services import model_events as dispatcher
from engine.services import transfer, triggers, versions


@pytest.fixture(autouse=True)
def _fresh_cache():
    model_events.forget_armed()
    yield
    model_events.forget_armed()  # this test's triggers roll back with it


def process(code, trigger, *, singleton=None, activities=None, publish=True, schema=None):
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code, "input_schema": schema or {}},
        "triggers": [{"key": "on_group", "kind": "model_event", "model": "auth.Group"} | trigger],
        "activities": activities
        or [
            {"key": "start", "kind": "start"},
            {"key": "review", "kind": "signal", "signal_name": "hold"},  # (no role groups)
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "review"},
            {"key": "t2", "source": "review", "target": "end"},
        ],
    }
    if singleton:
        data["process"]["singleton_key"] = singleton
    return transfer.import_definition(data, publish_it=publish)


def runs(code):
    return list(ProcessInstance.objects.filter(process__code=code).order_by("pk"))


def fired(code):
    events = AuditEvent.objects.filter(process__code=code, action__startswith="trigger.")
    return list(events.order_by("pk").values_list("action", "metadata"))


def test_a_created_record_starts_one_run_with_data_read_from_it(wm):
    process("vip", {"on": ["create"], "data": {"group_id": "record.pk", "mode": "new"}})
    group = wm.run(Group.objects.create, name="vip")
    [run] = runs("vip")
    assert run.data == {"group_id": group.pk, "mode": "new"}
    assert run.trigger_key == "on_group"
    [(action, facts)] = fired("vip")
    assert action == "trigger.fired"
    assert facts["event"] == "create" and facts["pk"] == str(group.pk)
    assert facts["model"] == "auth.Group" and facts["trigger"] == "on_group"
    row = ModelEvent.objects.get()
    assert row.dispatched_at is not None and row.attempts == 1
    assert row.record == {"id": group.pk, "name": "vip", "pk": group.pk}


def test_the_condition_is_read_over_the_saved_record(wm):
    process("cond", {"on": ["create", "update"], "condition": "record.name == 'vip'"})
    wm.run(Group.objects.create, name="regular")
    assert runs("cond") == [] and ModelEvent.objects.count() == 0
    wm.run(Group.objects.create, name="vip")
    assert len(runs("cond")) == 1


def test_an_update_fires_only_when_a_watched_field_changes(wm, settings):
    settings.WAYMARK_TRIGGER_MODELS = {"auth.User": ["email", "first_name"]}  # opened for the test
    group = Group.objects.create(name="before")
    user = User.objects.create(username="ann", email="a@example.com")
    process(
        "watch",
        {"model": "auth.User", "on": ["update"], "watch": ["email"], "data": {"u": "record.pk"}},
    )
    user = User.objects.get(pk=user.pk)  # loaded: the values before are known
    user.first_name = "Ann"
    wm.run(user.save)
    assert runs("watch") == []  # email unchanged
    user.email = "ann@example.com"
    wm.run(user.save)
    assert [r.data for r in runs("watch")] == [{"u": user.pk}]
    wm.run(user.save)  # saved again unchanged: compared with the last save, not the load
    assert len(runs("watch")) == 1
    # An instance that was never loaded: the old value is read in pre_save.
    stranger = User.objects.get(pk=user.pk)
    stranger.__dict__.pop(model_events.LOADED, None)
    stranger.email = "third@example.com"
    wm.run(stranger.save)
    assert len(runs("watch")) == 2
    wm.run(user.save, update_fields=["first_name"])  # names no watched field
    assert len(runs("watch")) == 2
    assert group.pk  # a save of a model nobody watches wrote nothing
    assert ModelEvent.objects.filter(model="auth.Group").count() == 0


def test_a_delete_fires_with_the_record_as_it_was(wm):
    group = Group.objects.create(name="gone")
    process("del", {"on": ["delete"], "data": {"name": "record.name", "id": "record.pk"}})
    pk = group.pk
    wm.run(group.delete)
    [run] = runs("del")
    assert run.data == {"name": "gone", "id": pk}
    assert ModelEvent.objects.get().event == "delete"


def test_a_paused_process_and_a_draft_do_not_fire(wm):
    version = process("paused", {"on": ["create"]})
    triggers.set_paused(version.process, True)
    wm.run(Group.objects.create, name="a")
    assert runs("paused") == [] and ModelEvent.objects.count() == 0
    triggers.set_paused(version.process, False)
    wm.run(Group.objects.create, name="b")
    assert len(runs("paused")) == 1
    process("draft", {"on": ["create"]}, publish=False)
    wm.run(Group.objects.create, name="c")
    assert runs("draft") == []


def test_a_retired_version_stops_firing(wm):
    version = process("retired", {"on": ["create"]})
    draft = versions.clone(version)
    triggers.delete_trigger(draft.triggers.get())
    versions.publish(draft)  # the version holding the trigger is retired
    wm.run(Group.objects.create, name="a")
    assert runs("retired") == [] and ModelEvent.objects.count() == 0


def test_skip_while_a_run_of_the_trigger_is_open(wm):
    process("skip", {"on": ["create"], "concurrency": "skip"})
    wm.run(Group.objects.create, name="a")
    wm.run(Group.objects.create, name="b")
    assert len(runs("skip")) == 1
    assert [action for action, _ in fired("skip")] == ["trigger.fired", "trigger.skipped"]


WAIT_FOR_EVENT = [
    {"key": "start", "kind": "start"},
    {"key": "wait", "kind": "signal", "signal_name": "event:on_group", "correlation": "data.g"},
    {"key": "end", "kind": "end"},
]
FLOW = [
    {"key": "t1", "source": "start", "target": "wait"},
    {"key": "t2", "source": "wait", "target": "end"},
]


def waiting_process(code, trigger=None, singleton=None):
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code},
        "triggers": [trigger] if trigger else [],
        "activities": WAIT_FOR_EVENT,
        "transitions": FLOW,
    }
    if singleton:
        data["process"]["singleton_key"] = singleton
    return transfer.import_definition(data, publish_it=True)


def test_a_singleton_key_joins_the_active_run_and_it_gets_the_event(wm):
    trigger = {"key": "on_group", "kind": "model_event", "model": "auth.Group"}
    trigger |= {"on": ["create", "update"], "data": {"g": "record.pk", "n": "record.name"}}
    waiting_process("solo", trigger, singleton="data.g")
    group = wm.run(Group.objects.create, name="first")
    [run] = runs("solo")
    # The run this event created waits for the next event of its group (its own is
    # not kept for it to take).
    assert run.state == "waiting" and run.data == {"g": group.pk, "n": "first"}
    assert not PendingSignal.objects.exists()
    group.name = "second"
    wm.run(group.save)
    assert runs("solo") == [run]  # joined, not a second run
    run.refresh_from_db()
    assert run.state == "completed" and run.data["n"] == "second"  # it got the event
    assert [f.get("joined", False) for _, f in fired("solo")] == [False, True]


def test_every_model_event_is_a_signal_a_waiting_run_can_take(wm):
    waiter = waiting_process("waiter")
    process("emit", {"on": ["create"], "data": {"g": "record.pk", "n": "record.name"}})
    waiting = wm.start_run(waiter.process.code, {"g": 90001})  # waits for group 90001
    assert waiting.state == "waiting"
    wm.run(Group.objects.create, pk=90002, name="another")
    waiting.refresh_from_db()
    assert waiting.state == "waiting"  # not its correlation
    wm.run(Group.objects.create, pk=90001, name="later")
    waiting.refresh_from_db()
    assert waiting.state == "completed" and waiting.data["n"] == "later"  # the payload
    # An event nobody waits for is kept, as any signal, for a wait that comes later
    # (unless it started a run: that run does not take its own event later).
    triggers.set_paused(Process.objects.get(code="emit"), True)
    model_events.forget_armed()
    keep = {"key": "on_group", "on": ["create"], "concurrency": "skip"}
    process("keep", keep | {"data": {"n": "record.name"}})
    wm.run(Group.objects.create, name="opens a run of keep")
    other = wm.run(Group.objects.create, name="other")  # skipped: kept
    [kept] = PendingSignal.objects.filter(name="event:on_group", correlation=str(other.pk))
    assert kept.consumed_at is None
    early = wm.start_run(waiter.process.code, {"g": other.pk})
    early.refresh_from_db()
    assert early.state == "completed" and early.data["n"] == "other"


def test_two_dispatchers_start_one_run(wm, django_capture_on_commit_callbacks):
    process("twice", {"on": ["create"]})
    with django_capture_on_commit_callbacks(execute=False):  # the task message is "lost"
        Group.objects.create(name="x")
    row = ModelEvent.objects.get()
    assert wm.run(dispatcher.dispatch, row.pk) is True
    assert wm.run(dispatcher.dispatch, row.pk) is False
    assert len(runs("twice")) == 1


def test_the_reconciler_dispatches_what_was_left(wm, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    process("left", {"on": ["create"]})
    with django_capture_on_commit_callbacks(execute=False):  # died after the commit
        Group.objects.create(name="x")
    assert runs("left") == []
    wm.reconcile()  # too fresh: the task may still be on its way
    assert runs("left") == []
    ModelEvent.objects.update(created_at=timezone.now() - timedelta(seconds=30))
    assert wm.reconcile()["model_events_dispatched"] == 1
    assert len(runs("left")) == 1
    assert wm.reconcile()["model_events_dispatched"] == 0


def test_a_rolled_back_save_leaves_no_event(wm):
    process("rollback", {"on": ["create"]})

    def save_and_fail():
        with transaction.atomic():
            Group.objects.create(name="x")
            raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        wm.run(save_and_fail)
    assert ModelEvent.objects.count() == 0 and runs("rollback") == []


def test_a_start_that_fails_is_audited_and_the_event_is_done(wm):
    schema = {"type": "object", "required": ["amount"]}
    process("bad", {"on": ["create"]}, schema=schema)
    wm.run(Group.objects.create, name="x")
    assert runs("bad") == []
    [(action, facts)] = fired("bad")
    assert action == "trigger.failed" and "amount" in facts["error"]
    assert ModelEvent.objects.get().dispatched_at is not None


def test_a_save_of_a_model_no_trigger_watches_costs_no_query(wm, django_assert_num_queries):
    process("costs", {"on": ["create"]})  # watches auth.Group only
    User.objects.create(username="warm")  # (the cache is loaded once)
    with django_assert_num_queries(1):  # the INSERT alone
        User.objects.create(username="cold")
    with django_assert_num_queries(2):  # a watched model: the INSERT and the outbox row
        Group.objects.create(name="watched")


def test_dispatched_rows_are_dropped_after_a_week(wm):
    from datetime import timedelta

    from django.utils import timezone

    process("prune", {"on": ["create"]})
    wm.run(Group.objects.create, name="x")
    ModelEvent.objects.update(dispatched_at=timezone.now() - timedelta(days=8))
    wm.reconcile()
    assert not ModelEvent.objects.exists() and len(runs("prune")) == 1


def test_the_issue_file_s_vip_created_trigger_behaves_as_its_comments_say(wm):
    from tests.engine.test_triggers import ISSUE_YAML, OTHER_TRIGGERS

    text = ISSUE_YAML % {"others": OTHER_TRIGGERS}
    transfer.import_text(text, filename="guest-journey.yaml", publish_it=True)
    plain = wm.run(Group.objects.create, name="plain")  # condition false: nothing
    assert runs("guest-journey") == []
    vip = wm.run(Group.objects.create, name="vip")  # create, condition true
    [run] = runs("guest-journey")
    assert run.data == {"group_id": vip.pk} and run.trigger_key == "vip_created"
    vip.name = "was vip"  # an update, condition false
    wm.run(vip.save)
    plain.name = "vip"  # an update of the watched field making the condition true
    wm.run(plain.save)
    assert sorted(r.data["group_id"] for r in runs("guest-journey")) == sorted([vip.pk, plain.pk])
    wm.run(plain.save)  # saved unchanged: the watched field did not change
    assert len(runs("guest-journey")) == 2
    # (the run's human step made the role group 'staff': not 'vip', so no start)
    assert Group.objects.filter(name="staff").exists()


def test_a_dispatch_that_keeps_failing_is_retried_then_audited(wm, monkeypatch, caplog):
    process("flaky", {"on": ["create"]})

    def broken(*args, **kwargs):
        raise RuntimeError("signal store down")

    monkeypatch.setattr(dispatcher, "send_signal", broken)
    wm.run(Group.objects.create, name="x")
    row = ModelEvent.objects.get()
    assert row.dispatched_at is None and row.attempts == 1
    assert row.last_error == "signal store down"
    assert runs("flaky") == []  # the start rolled back with the failed dispatch
    for _ in range(dispatcher.MAX_ATTEMPTS - 1):
        wm.run(dispatcher.dispatch, row.pk)
    [(action, facts)] = fired("flaky")
    assert action == "trigger.failed" and facts["attempts"] == dispatcher.MAX_ATTEMPTS
    assert facts["error"] == "signal store down"
    from datetime import timedelta

    from django.utils import timezone

    ModelEvent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert wm.reconcile()["model_events_dispatched"] == 0  # given up: no more tries


def test_the_event_signal_reaches_only_the_process_s_tenant(wm):
    waiter = waiting_process("tenants")
    mine = wm.start_run(waiter.process.code, {"g": 90005})
    theirs = wm.start_run(waiter.process.code, {"g": 90005})
    ProcessInstance.objects.filter(pk=mine.pk).update(tenant_id="acme")
    ProcessInstance.objects.filter(pk=theirs.pk).update(tenant_id="globex")
    version = process("emitter", {"on": ["create"], "concurrency": "skip"})
    version.process.tenant_id = "acme"
    version.process.save(update_fields=["tenant_id"])
    wm.run(Group.objects.create, pk=90005, name="acme's")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.state, theirs.state) == ("completed", "waiting")
