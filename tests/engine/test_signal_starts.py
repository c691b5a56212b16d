"""Signal triggers (a message start): a signal no run waits for starts a run."""

from engine.models import AuditEvent, PendingSignal, ProcessInstance
from engine.services import transfer, triggers


def signal_process(code, *, signal="order.placed", data=None, tenant="", **extra):
    process = {"code": code, "title": code} | extra.pop("process", {})
    definition = {
        "format": "waymark.process/1",
        "process": process,
        "triggers": [
            {"key": "placed", "kind": "signal", "signal": signal, "data": data or {}} | extra
        ],
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "paid", "kind": "signal", "signal_name": "paid", "correlation": "data.order"},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "paid"},
            {"key": "t2", "source": "paid", "target": "end"},
        ],
    }
    return transfer.import_definition(definition, publish_it=True, tenant_id=tenant)


def runs(code):
    return list(ProcessInstance.objects.filter(process__code=code).order_by("pk"))


def test_a_signal_nobody_waits_for_starts_a_run_of_each_process_with_the_trigger(wm):
    signal_process("orders", data={"channel": "web", "order": 0})
    signal_process("invoices")
    signal_process("others", signal="order.cancelled")
    result = wm.send_signal("order.placed", {"order": 7}, correlation="7")
    [order] = runs("orders")
    [invoice] = runs("invoices")
    assert sorted(result.started) == sorted([order.pk, invoice.pk])
    assert result.woken == [] and result.kept is None  # used up by the starts
    assert order.data == {"channel": "web", "order": 7}  # the payload wins on the same key
    assert order.trigger_key == "placed" and runs("others") == []
    fired = AuditEvent.objects.get(instance=order, action="trigger.fired")
    assert fired.metadata == {"trigger": "placed", "signal": "order.placed", "correlation": "7"}


def test_a_waiting_run_takes_the_signal_and_nothing_starts(wm):
    signal_process("orders")
    signal_process("payments", signal="paid")
    [order] = [wm.start_run("orders", {"order": 3})]
    result = wm.send_signal("paid", {}, correlation="3")
    assert result.woken == [order.pk] and result.started == []
    assert runs("payments") == []


def test_paused_skipped_and_other_tenants_start_nothing_and_the_signal_is_kept(wm):
    paused = signal_process("paused")
    triggers.set_paused(paused.process, True)
    signal_process("theirs", signal="order.placed", tenant="acme")
    assert wm.send_signal("order.placed", {}, tenant_id="").started == []  # paused
    result = wm.send_signal("order.placed", {}, tenant_id="globex")
    assert result.started == [] and result.kept is not None
    assert runs("paused") == [] and runs("theirs") == []
    result = wm.send_signal("order.placed", {}, tenant_id="acme")
    assert result.started == [runs("theirs")[0].pk]


def test_skip_while_a_run_of_the_trigger_is_open(wm):
    signal_process("once", concurrency="skip")
    first = wm.send_signal("order.placed", {"order": 1})
    second = wm.send_signal("order.placed", {"order": 2})
    assert len(first.started) == 1 and second.started == [] and second.kept is not None
    actions = AuditEvent.objects.filter(action__startswith="trigger.").order_by("pk")
    assert list(actions.values_list("action", flat=True)) == ["trigger.fired", "trigger.skipped"]


def test_a_singleton_key_joins_the_active_run_which_can_take_the_kept_signal(wm):
    signal_process("solo", process={"singleton_key": "data.order"})
    first = wm.send_signal("order.placed", {"order": 5}, correlation="5")
    [run] = runs("solo")
    assert first.started == [run.pk]
    again = wm.send_signal("order.placed", {"order": 5}, correlation="5")
    assert runs("solo") == [run] and again.started == []
    assert again.kept == PendingSignal.objects.get(name="order.placed", consumed_at=None)
    fired = AuditEvent.objects.filter(instance=run, action="trigger.fired").order_by("pk")
    assert [e.metadata.get("joined", False) for e in fired] == [False, True]


def test_the_command_says_which_runs_a_signal_started(wm, capsys):
    from django.core.management import call_command

    signal_process("cmd")
    wm.run(call_command, "send_signal", "order.placed", "--payload", '{"order": 9}')
    [run] = runs("cmd")
    assert f"started run(s) {run.pk}" in capsys.readouterr().out
