"""Schedule triggers: armed on publish, fired by the timer loop in their zone, once."""

import re
from datetime import UTC, datetime

import pytest

from engine.errors import DefinitionError, DefinitionFileError, FrozenVersionError
from engine.models import AuditEvent, ProcessInstance, ScheduleFire, Trigger
from engine.runtime import timers
from engine.services import transfer, triggers, versions

ISSUE_YAML = """
format: waymark.process/1
process:
  code: guest-journey
  title: Guest journey
  singleton_key: data.group_id
triggers:
  - key: nightly
    kind: schedule
    cron: "30 7 * * *"
    timezone: Asia/Tehran
    concurrency: skip
    data: {mode: nightly}
%(others)s
activities:
  - {key: start, kind: start}
  - {key: review, kind: human, roles: [staff]}
  - {key: end, kind: end}
transitions:
  - {key: t1, source: start, target: review}
  - {key: t2, source: review, target: end}
"""

OTHER_TRIGGERS = """
  - key: vip_created
    kind: model_event
    model: auth.Group
    on: [create, update]
    condition: record.name == 'vip'
    watch: [name]
    data: {group_id: record.pk}
  - key: before_due
    kind: date_event
    model: auth.User
    date_field: last_login
    offset: -1h
    condition: record.is_active == true
    data: {user_id: record.pk}
"""


def schedule_process(code, cron, zone, *, concurrency="allow", publish=True, schema=None):
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code, "input_schema": schema or {}},
        "triggers": [
            {"key": "tick", "kind": "schedule", "cron": cron, "timezone": zone}
            | {"concurrency": concurrency, "data": {"mode": "nightly"}}
        ],
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
    return transfer.import_definition(data, publish_it=publish)


def loop_pass(wm):
    """One pass of the timer loop, as ``manage.py waymark_timers`` runs it."""
    wm.run(timers.run_loop, poll=0, max_cycles=1)


def due_of(version):
    return ScheduleFire.objects.get(trigger__version=version).due_at


def runs_of(code):
    return list(ProcessInstance.objects.filter(process__code=code).order_by("pk"))


def actions(code):
    return list(
        AuditEvent.objects.filter(process__code=code, action__startswith="trigger.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_berlin_0230_fires_at_0330_on_the_spring_forward_day(wm, time_machine):
    time_machine.move_to(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), tick=False)
    version = schedule_process("berlin", "30 2 * * *", "Europe/Berlin")
    # 02:30 does not exist on 29 March 2026 in Berlin: it fires at 03:30 CEST = 01:30 UTC.
    assert due_of(version) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    time_machine.move_to(datetime(2026, 3, 29, 1, 29, 59, tzinfo=UTC), tick=False)
    loop_pass(wm)
    assert runs_of("berlin") == []
    time_machine.move_to(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), tick=False)
    loop_pass(wm)
    [run] = runs_of("berlin")
    assert run.trigger_key == "tick" and run.data == {"mode": "nightly"}
    # The next day 02:30 is summer time again: 00:30 UTC.
    assert due_of(version) == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)


def test_berlin_0230_fires_once_on_the_fall_back_day(wm, time_machine):
    time_machine.move_to(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), tick=False)
    version = schedule_process("autumn", "30 2 * * *", "Europe/Berlin")
    assert due_of(version) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first 02:30 (CEST)
    time_machine.move_to(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), tick=False)
    loop_pass(wm)
    time_machine.move_to(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), tick=False)  # second 02:30
    loop_pass(wm)
    assert len(runs_of("autumn")) == 1
    assert due_of(version) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET


def test_tehran_0730_fires_once_across_two_timer_loop_passes(wm, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False)
    version = schedule_process("tehran", "30 7 * * *", "Asia/Tehran")
    assert due_of(version) == datetime(2026, 3, 21, 4, 0, tzinfo=UTC)  # 07:30 at UTC+03:30
    time_machine.move_to(datetime(2026, 3, 21, 4, 0, 1, tzinfo=UTC), tick=False)
    loop_pass(wm)
    loop_pass(wm)  # a second loop (another machine) finds nothing left to fire
    assert len(runs_of("tehran")) == 1
    assert actions("tehran") == ["trigger.fired"]
    fire = ScheduleFire.objects.get(trigger__version=version)
    assert fire.fires == 1 and fire.due_at == datetime(2026, 3, 22, 4, 0, tzinfo=UTC)


def test_a_fire_already_taken_by_another_loop_is_not_fired_again(wm, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False)
    version = schedule_process("race", "30 7 * * *", "Asia/Tehran")
    fire = ScheduleFire.objects.get(trigger__version=version)
    now = datetime(2026, 3, 21, 4, 0, tzinfo=UTC)
    from engine.runtime.triggers import fire_schedule

    # Both loops read the row at the same due time; only the first compare-and-set wins.
    assert wm.run(fire_schedule, fire.pk, fire.due_at, now) is True
    assert wm.run(fire_schedule, fire.pk, fire.due_at, now) is False
    assert len(runs_of("race")) == 1


def test_skip_records_a_skipped_fire_while_a_run_of_the_trigger_is_open(wm, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False)
    schedule_process("skipper", "0 * * * *", "UTC", concurrency="skip")
    time_machine.move_to(datetime(2026, 5, 1, 1, 0, tzinfo=UTC), tick=False)
    loop_pass(wm)
    time_machine.move_to(datetime(2026, 5, 1, 2, 0, tzinfo=UTC), tick=False)
    loop_pass(wm)
    [run] = runs_of("skipper")  # the first run waits at its human task
    assert actions("skipper") == ["trigger.fired", "trigger.skipped"]
    skipped = AuditEvent.objects.get(action="trigger.skipped")
    assert skipped.metadata["running"] == run.pk and skipped.metadata["trigger"] == "tick"


def test_allow_starts_a_run_at_every_fire(wm, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False)
    schedule_process("hourly", "0 * * * *", "UTC")
    for hour in (1, 2):
        time_machine.move_to(datetime(2026, 5, 1, hour, 0, tzinfo=UTC), tick=False)
        loop_pass(wm)
    assert len(runs_of("hourly")) == 2


def test_missed_fires_start_one_run_for_the_latest_time(wm, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False)
    version = schedule_process("downtime", "30 7 * * *", "Asia/Tehran")
    time_machine.move_to(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False)  # down 3 days
    loop_pass(wm)
    assert len(runs_of("downtime")) == 1
    fired = AuditEvent.objects.get(action="trigger.fired", process__code="downtime")
    assert fired.metadata["scheduled_for"] == "2026-05-04T04:00:00+00:00"
    assert fired.metadata["missed"] is True
    assert due_of(version) == datetime(2026, 5, 5, 4, 0, tzinfo=UTC)


def test_a_start_that_fails_is_audited_and_the_schedule_moves_on(wm, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False)
    schema = {"type": "object", "required": ["order_id"]}
    version = schedule_process("broken", "0 * * * *", "UTC", schema=schema)
    time_machine.move_to(datetime(2026, 5, 1, 1, 0, tzinfo=UTC), tick=False)
    loop_pass(wm)
    assert runs_of("broken") == []
    failed = AuditEvent.objects.get(action="trigger.failed")
    assert "order_id" in failed.metadata["error"]
    assert due_of(version) == datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


def test_a_paused_process_does_not_fire_and_resumes_from_now(wm, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False)
    version = schedule_process("pausable", "0 * * * *", "UTC")
    triggers.set_paused(version.process, True)
    time_machine.move_to(datetime(2026, 5, 1, 3, 30, tzinfo=UTC), tick=False)
    loop_pass(wm)
    assert runs_of("pausable") == []
    triggers.set_paused(version.process, False)
    assert due_of(version) == datetime(2026, 5, 1, 4, 0, tzinfo=UTC)  # no burst of missed fires
    time_machine.move_to(datetime(2026, 5, 1, 4, 0, tzinfo=UTC), tick=False)
    loop_pass(wm)
    assert len(runs_of("pausable")) == 1
    audited = AuditEvent.objects.filter(process__code="pausable", action__startswith="process.")
    assert list(audited.order_by("pk").values_list("action", flat=True)) == [
        "process.paused",
        "process.resumed",
    ]


def test_publish_arms_retire_disarms_rollback_rearms(wm, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False)
    draft = schedule_process("lifecycle", "0 * * * *", "UTC", publish=False)
    assert not ScheduleFire.objects.exists()  # a draft never fires
    v1 = versions.publish(draft)
    assert ScheduleFire.objects.filter(trigger__version=v1).count() == 1
    v2 = versions.clone(v1)
    triggers.update_trigger(v2.triggers.get(key="tick"), cron="15 * * * *")
    versions.publish(v2)
    assert list(ScheduleFire.objects.values_list("trigger__version", flat=True)) == [v2.pk]
    assert due_of(v2) == datetime(2026, 5, 1, 0, 15, tzinfo=UTC)
    versions.rollback(v1)
    assert list(ScheduleFire.objects.values_list("trigger__version", flat=True)) == [v1.pk]


def test_triggers_are_frozen_with_their_version(wm):
    version = schedule_process("frozen", "0 * * * *", "UTC")
    with pytest.raises(FrozenVersionError):
        triggers.update_trigger(version.triggers.get(key="tick"), cron="5 * * * *")
    with pytest.raises(FrozenVersionError):
        triggers.add_trigger(version, "more", kind="schedule", cron="5 * * * *")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cron": "61 7 * * *"}, "invalid cron '61 7 * * *'"),
        ({"cron": "30 7 * *"}, "write five fields"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"kind": "model_event"}, "a model_event trigger has no field 'cron'"),
        ({"concurrency": "never"}, "concurrency must be 'allow' or 'skip'"),
        ({"data": [1, 2]}, "data must be a JSON object"),
    ],
)
def test_a_draft_refuses_a_bad_trigger_clearly(wm, fields, message):
    draft = schedule_process("drafty", "0 * * * *", "UTC", publish=False)
    base = {"kind": "schedule", "cron": "0 * * * *", "timezone": "UTC"}
    with pytest.raises(DefinitionError, match=re.escape(message)):
        triggers.add_trigger(draft, "other", **(base | fields))
    assert list(draft.triggers.values_list("key", flat=True)) == ["tick"]


def test_a_draft_refuses_a_taken_trigger_key(wm):
    draft = schedule_process("taken", "0 * * * *", "UTC", publish=False)
    with pytest.raises(DefinitionError, match="already has a trigger 'tick'"):
        triggers.add_trigger(draft, "tick", kind="schedule", cron="5 * * * *")


def test_the_issue_file_imports_with_its_schedule_trigger(wm):
    version = transfer.import_text(ISSUE_YAML % {"others": ""}, filename="g.yaml", publish_it=True)
    trigger = Trigger.objects.get(version=version)
    assert (trigger.cron, trigger.timezone, trigger.concurrency) == (
        "30 7 * * *",
        "Asia/Tehran",
        "skip",
    )
    assert trigger.data == {"mode": "nightly"}
    assert version.process.singleton_key == "data.group_id"
    assert ScheduleFire.objects.filter(trigger=trigger).exists()


def test_the_issue_file_imports_with_every_trigger_kind(wm):
    # model_event: tests/engine/test_model_events*.py; date_event: test_date_events.py
    text = ISSUE_YAML % {"others": OTHER_TRIGGERS}
    version = transfer.import_text(text, filename="g.yaml", publish_it=True)
    keys = set(version.triggers.values_list("key", "kind"))
    assert keys == {
        ("nightly", "schedule"),
        ("vip_created", "model_event"),
        ("before_due", "date_event"),
    }


def test_export_round_trips_triggers(wm):
    version = transfer.import_text(ISSUE_YAML % {"others": ""}, filename="g.yaml")
    exported = transfer.export_version(version)
    assert exported["triggers"] == [
        {
            "key": "nightly",
            "kind": "schedule",
            "cron": "30 7 * * *",
            "timezone": "Asia/Tehran",
            "concurrency": "skip",
            "data": {"mode": "nightly"},
        }
    ]
    assert exported["process"]["singleton_key"] == "data.group_id"
    again = transfer.import_definition(exported)
    assert transfer.export_version(again)["triggers"] == exported["triggers"]


def test_clone_copies_and_diff_reports_triggers(wm):
    v1 = schedule_process("differ", "0 * * * *", "UTC")
    v2 = versions.clone(v1)
    assert list(v2.triggers.values_list("key", "cron")) == [("tick", "0 * * * *")]
    triggers.update_trigger(v2.triggers.get(key="tick"), cron="5 * * * *")
    triggers.add_trigger(v2, "weekly", kind="schedule", cron="0 9 * * 1", timezone="UTC")
    changes = {
        (c["element"], c["key"]): c for c in versions.diff_versions(v1, v2).to_dict()["changes"]
    }
    assert changes[("trigger", "weekly")]["change"] == "added"
    changed = changes[("trigger", "tick")]
    assert changed["change"] == "changed"
    assert changed["fields"] == [{"field": "cron", "old": "0 * * * *", "new": "5 * * * *"}]
    triggers.delete_trigger(v2.triggers.get(key="tick"))
    removed = versions.diff_versions(v1, v2).by_key()[("trigger", "tick")]
    assert removed.change == "removed"


def test_the_file_refuses_a_bad_schedule_with_its_location(wm):
    data = transfer.export_version(schedule_process("located", "0 * * * *", "UTC", publish=False))
    tick = data["triggers"][0]
    data["triggers"] = [
        tick | {"cron": "0 25 * * *"},
        tick | {"key": "zone", "timezone": "Europe/Atlantis"},
        tick | {"key": "extra", "model": "auth.Group"},
        tick,
        tick,
    ]
    with pytest.raises(DefinitionFileError) as caught:
        transfer.import_definition(data)
    problems = {p["loc"]: p["message"] for p in caught.value.problems}
    assert problems["triggers[0]"].startswith("invalid cron '0 25 * * *'")
    assert problems["triggers[1]"].startswith("unknown time zone 'Europe/Atlantis'")
    assert problems["triggers[2]"] == "a schedule trigger has no field 'model'"
    assert problems["triggers[4].key"] == "duplicate key 'tick'"
