"""date_event triggers: a run at a record's date plus an offset, following the date."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.models import AuditEvent, DateEventFire, ProcessInstance
from engine.runtime import date_events, timers
from engine.services import transfer, triggers, versions

T0 = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
LOGIN = datetime(2030, 5, 3, 14, 0, tzinfo=UTC)


def date_process(code="reminders", *, offset="-1h", condition="", concurrency="allow", **extra):
    spec = {
        "key": "before_due",
        "kind": "date_event",
        "model": "auth.User",
        "date_field": "last_login",
        "offset": offset,
        "condition": condition,
        "concurrency": concurrency,
        "data": {"user_id": "record.pk", "name": "record.username", "kind": "reminder"},
    }
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code, **extra},
        "triggers": [spec],
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "remind", "kind": "human", "roles": ["staff"]},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "remind"},
            {"key": "t2", "source": "remind", "target": "end"},
        ],
    }
    return transfer.import_definition(data, publish_it=True)


def loop_pass(wm):
    """One pass of the timer loop, as ``manage.py waymark_timers`` runs it."""
    wm.run(timers.run_loop, poll=0, max_cycles=1)


def guest(name="ana", login=LOGIN, **fields):
    return User.objects.create(username=name, last_login=login, **fields)


def row_of(user):
    return DateEventFire.objects.filter(record_pk=str(user.pk)).first()


def runs(code="reminders"):
    return list(ProcessInstance.objects.filter(process__code=code).order_by("pk"))


def trigger_events(code="reminders"):
    return list(
        AuditEvent.objects.filter(process__code=code, action__startswith="trigger.")
        .order_by("pk")
        .values_list("action", "metadata")
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The armed-trigger cache is per process: a rolled-back test's triggers must not leak."""
    date_events.forget()
    yield
    date_events.forget()


@pytest.fixture
def at(time_machine):
    def move(moment):
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


def test_a_date_field_means_midnight_in_the_project_zone(settings):
    settings.TIME_ZONE = "Asia/Tehran"  # UTC+03:30
    assert date_events.due_at(date(2030, 5, 3), "-1h") == datetime(2030, 5, 2, 19, 30, tzinfo=UTC)
    naive = datetime(2030, 5, 3, 8, 0)
    assert date_events.due_at(naive, "") == datetime(2030, 5, 3, 4, 30, tzinfo=UTC)
    assert date_events.due_at(LOGIN, "2d") == LOGIN + timedelta(days=2)
    assert date_events.due_at(None, "-1h") is None


def test_publish_arms_each_record_at_its_date_plus_offset(wm, at):
    ana = guest("ana")
    old = guest("old", login=T0 - timedelta(days=1))  # already past: not armed
    nobody = guest("nobody", login=None)
    date_process()
    assert row_of(ana).due_at == LOGIN - timedelta(hours=1)
    assert row_of(old) is None and row_of(nobody) is None


def test_it_fires_at_the_due_time_with_data_from_the_record(wm, at):
    ana = guest("ana")
    date_process()
    at(LOGIN - timedelta(hours=1, seconds=1))
    loop_pass(wm)
    assert runs() == []
    at(LOGIN - timedelta(hours=1))
    loop_pass(wm)
    [run] = runs()
    assert run.trigger_key == "before_due"
    assert run.data == {"user_id": ana.pk, "name": "ana", "kind": "reminder"}
    [(action, facts)] = trigger_events()
    assert action == "trigger.fired" and facts["record"] == str(ana.pk)
    assert row_of(ana) is None  # fired once
    loop_pass(wm)
    assert len(runs()) == 1


def test_the_fire_moves_when_the_date_moves(wm, at):
    ana = guest("ana")
    date_process()
    later = LOGIN + timedelta(days=2)
    ana.last_login = later
    ana.save()
    assert row_of(ana).due_at == later - timedelta(hours=1)
    at(LOGIN)  # the old time has passed: nothing fires
    loop_pass(wm)
    assert runs() == []
    earlier = LOGIN + timedelta(days=1)  # moved back, still ahead
    ana.last_login = earlier
    ana.save(update_fields=["last_login"])
    assert row_of(ana).due_at == earlier - timedelta(hours=1)
    at(earlier - timedelta(hours=1))
    loop_pass(wm)
    assert len(runs()) == 1
    at(later)
    loop_pass(wm)
    assert len(runs()) == 1  # the date's earlier time was its only fire


def test_an_earlier_date_fires_at_the_new_time(wm, at):
    ana = guest("ana")
    date_process()
    ana.last_login = T0 + timedelta(hours=2)
    ana.save()
    at(T0 + timedelta(hours=1))
    loop_pass(wm)
    assert len(runs()) == 1


def test_a_cleared_date_a_past_date_and_a_deleted_record_remove_the_fire(wm, at):
    ana, bea, cy = guest("ana"), guest("bea"), guest("cy")
    date_process()
    ana.last_login = None
    ana.save()
    bea.last_login = T0 - timedelta(days=3)
    bea.save()
    assert DateEventFire.objects.count() == 1
    cy.delete()
    assert not DateEventFire.objects.exists()
    at(LOGIN + timedelta(days=1))
    loop_pass(wm)
    assert runs() == []


def test_a_new_record_is_armed_when_saved(wm, at):
    date_process()
    dan = guest("dan", login=T0 + timedelta(days=1))
    assert row_of(dan).due_at == T0 + timedelta(days=1) - timedelta(hours=1)


def test_a_false_condition_at_fire_time_is_skipped_and_audited(wm, at):
    ana = guest("ana")
    date_process(condition="record.is_active == true")
    User.objects.filter(pk=ana.pk).update(is_active=False)  # (no save signal: date unchanged)
    at(LOGIN)
    loop_pass(wm)
    assert runs() == []
    [(action, facts)] = trigger_events()
    assert action == "trigger.skipped" and facts["reason"] == "condition"
    assert facts["record"] == str(ana.pk)


def test_a_paused_process_fires_nothing_and_resuming_releases_no_burst(wm, at):
    ana, bea = guest("ana"), guest("bea", login=LOGIN + timedelta(days=5))
    version = date_process()
    triggers.set_paused(version.process, True)
    at(LOGIN + timedelta(days=1))
    loop_pass(wm)
    assert runs() == []
    triggers.set_paused(version.process, False)
    loop_pass(wm)
    assert runs() == []  # ana's time passed while paused: dropped
    assert row_of(ana) is None and row_of(bea) is not None
    resumed = AuditEvent.objects.get(action="process.resumed")
    assert resumed.metadata["date_events_dropped"] == 1
    at(LOGIN + timedelta(days=5))
    loop_pass(wm)
    assert len(runs()) == 1


def test_several_loops_fire_a_row_once(wm, at):
    guest("ana")
    date_process()
    at(LOGIN)
    [(pk, due)] = DateEventFire.objects.values_list("pk", "due_at")
    assert wm.run(date_events.fire_date_event, pk, due, LOGIN) is True
    assert wm.run(date_events.fire_date_event, pk, due, LOGIN) is False  # the other loop
    assert len(runs()) == 1


def test_a_row_moved_after_the_poll_read_it_does_not_fire_at_the_old_time(wm, at):
    ana = guest("ana")
    date_process()
    [(pk, due)] = DateEventFire.objects.values_list("pk", "due_at")
    ana.last_login = LOGIN + timedelta(days=1)
    ana.save()
    assert wm.run(date_events.fire_date_event, pk, due, LOGIN) is False
    assert runs() == []


def test_a_singleton_process_joins_the_active_run(wm, at):
    ana = guest("ana")
    guest("ana2", login=LOGIN + timedelta(hours=2))
    date_process(singleton_key="data.kind")  # every reminder has kind "reminder"
    at(LOGIN + timedelta(hours=3))
    loop_pass(wm)
    [run] = runs()
    assert run.data["user_id"] == ana.pk
    fired = [facts for action, facts in trigger_events() if action == "trigger.fired"]
    assert len(fired) == 2 and fired[1].get("joined") is True


def test_skip_while_a_run_of_the_trigger_is_open(wm, at):
    guest("ana")
    guest("bea", login=LOGIN + timedelta(hours=2))
    date_process(concurrency="skip")
    at(LOGIN + timedelta(hours=3))
    loop_pass(wm)
    assert len(runs()) == 1
    assert [a for a, _ in trigger_events()] == ["trigger.fired", "trigger.skipped"]


def test_a_late_fire_is_marked_late(wm, at):
    guest("ana")
    date_process()
    at(LOGIN + timedelta(hours=2))  # the loop was down when it fell due
    loop_pass(wm)
    [(action, facts)] = trigger_events()
    assert action == "trigger.fired" and facts["late"] is True


def test_retire_and_rollback_disarm_and_rearm(wm, at):
    ana = guest("ana")
    first = date_process()
    assert row_of(ana) is not None
    draft = versions.clone(first)
    second = versions.publish(draft)
    assert DateEventFire.objects.get().trigger.version == second
    versions.rollback(first)
    assert DateEventFire.objects.get().trigger.version == first


def test_many_records_are_armed_by_a_worker_task(wm, at, monkeypatch):
    monkeypatch.setattr(date_events, "INLINE_RECORDS", 2)
    users = [guest(f"u{i}", login=LOGIN + timedelta(minutes=i)) for i in range(4)]
    wm.run(date_process)  # the task runs when the publish commits (immediate backend here)
    assert DateEventFire.objects.count() == 4
    assert row_of(users[3]).due_at == LOGIN + timedelta(minutes=3) - timedelta(hours=1)


def test_saves_of_an_unwatched_model_read_no_date_trigger_rows(wm, at):
    from django.contrib.auth.models import Group

    date_process()
    date_events.armed_for("auth.Group")  # the cache is warm
    with CaptureQueriesContext(connection) as queries:
        Group.objects.create(name="staff")
    read = [q["sql"] for q in queries if "date_event" in q["sql"]]
    assert read == []
    assert not DateEventFire.objects.filter(record_pk="staff").exists()


def test_the_timer_loop_sleeps_until_the_next_date_event(wm, at):
    guest("ana")
    version = date_process()
    due = LOGIN - timedelta(hours=1)
    assert date_events.next_date_event_in() == (due - T0).total_seconds()
    assert timers._pause(10**9) == (due - T0).total_seconds()
    triggers.set_paused(version.process, True)
    assert date_events.next_date_event_in() is None  # a paused process wakes nobody


def test_a_lost_arming_task_is_sent_again_when_its_marker_falls_due(wm, at, monkeypatch):
    from engine.runtime import scheduler

    monkeypatch.setattr(date_events, "INLINE_RECORDS", 2)
    users = [guest(f"u{i}", login=LOGIN + timedelta(minutes=i)) for i in range(4)]
    sent = scheduler.dispatch
    lost = []

    def lose_the_first_arming(name, *args, **kwargs):
        if name == "engine.tasks.arm_date_event" and not lost:
            lost.append(args)  # the message never reaches a worker
            return None
        return sent(name, *args, **kwargs)

    monkeypatch.setattr(scheduler, "dispatch", lose_the_first_arming)
    wm.run(date_process)
    assert lost and all(row_of(u) is None for u in users)  # only the marker stands
    assert DateEventFire.objects.get().record_pk == date_events.ARMING

    at(T0 + date_events.ARM_RESEND - timedelta(seconds=1))
    loop_pass(wm)
    assert all(row_of(u) is None for u in users)  # not yet: the task may still be running

    at(T0 + date_events.ARM_RESEND + timedelta(seconds=1))
    loop_pass(wm)  # the marker fell due: the task is sent again, and arms every record
    assert [row_of(u).due_at for u in users] == [
        LOGIN + timedelta(minutes=i) - timedelta(hours=1) for i in range(4)
    ]
    assert not DateEventFire.objects.filter(record_pk=date_events.ARMING).exists()
    assert runs() == []  # a marker never starts a run
