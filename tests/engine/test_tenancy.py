"""engine.tenancy: resolver and filter settings, and scans scoped to one tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from engine import tenancy
from engine.models import AuditEvent, Process, ProcessInstance, RunState, Timer
from engine.services import scans
from tests.engine.conftest import deploy

T0 = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


def by_username(who):
    """A resolver: the tenant is the part of the user name before the dot ("acme.alice")."""
    user = getattr(who, "user", who)  # a request or a user
    name = user.get_username()
    return {"tenant_id": name.split(".", 1)[0]} if "." in name else None


def only_even_ids(queryset, tenant):
    """A custom filter that ignores tenant_id columns: proves the setting is used."""
    return queryset.filter(
        pk__in=[pk for pk in queryset.values_list("pk", flat=True) if pk % 2 == 0]
    )


@pytest.fixture
def events(db):
    return [
        AuditEvent.objects.create(action="x.one", tenant_id="acme"),
        AuditEvent.objects.create(action="x.two", tenant_id="globex"),
        AuditEvent.objects.create(action="x.three", tenant_id=""),
    ]


def test_without_settings_nothing_is_filtered(events, django_user_model):
    alice = django_user_model.objects.create_user("acme.alice")
    assert tenancy.resolve_tenant(alice) is None
    assert tenancy.tenant_id_for(alice) == ""
    assert tenancy.scoped(AuditEvent.objects.all(), alice).count() == 3


def test_a_resolver_scopes_every_model_with_a_tenant_id(events, settings, django_user_model):
    settings.WAYMARK_TENANT_RESOLVER = "tests.engine.test_tenancy.by_username"
    alice = django_user_model.objects.create_user("acme.alice")
    nobody = django_user_model.objects.create_user("walter")
    assert tenancy.resolve_tenant(alice) == {"tenant_id": "acme"}
    assert tenancy.resolve_tenant(SimpleNamespace(user=alice)) == {"tenant_id": "acme"}
    assert tenancy.tenant_id_for(alice) == "acme"
    mine = tenancy.scoped(AuditEvent.objects.all(), alice)
    assert [e.action for e in mine] == ["x.one"]
    # No tenant resolved for this user: nothing filtered; None (the system): nothing filtered.
    assert tenancy.scoped(AuditEvent.objects.all(), nobody).count() == 3
    assert tenancy.scoped(AuditEvent.objects.all(), None).count() == 3
    assert tenancy.tenant_id_for(nobody) == ""


def test_a_custom_filter_replaces_the_tenant_id_column(events, settings, django_user_model):
    settings.WAYMARK_TENANT_RESOLVER = by_username  # a callable works as well as a path
    settings.WAYMARK_TENANT_FILTER = "tests.engine.test_tenancy.only_even_ids"
    alice = django_user_model.objects.create_user("acme.alice")
    expected = {e.pk for e in events if e.pk % 2 == 0}
    assert set(tenancy.scoped(AuditEvent.objects.all(), alice).values_list("pk", flat=True)) == (
        expected
    )
    assert set(
        tenancy.scoped_to(AuditEvent.objects.all(), {"tenant_id": "x"}).values_list("pk", flat=True)
    ) == (expected)


def test_scoped_to_a_tenant_dict(events):
    assert [e.action for e in tenancy.scoped_to(AuditEvent.objects.all(), {"tenant_id": ""})] == [
        "x.three"
    ]
    assert tenancy.scoped_to(AuditEvent.objects.all(), None).count() == 3


# Scans -----------------------------------------------------------------------------------------


@pytest.fixture
def timer_runs(wm, time_machine):
    """Two runs waiting on a one-hour timer: one of tenant acme, one of globex."""
    time_machine.move_to(T0, tick=False)
    runs = {}
    for tenant in ("acme", "globex"):
        version = deploy(
            [{"key": "wait", "kind": "timer", "timer_duration": "1h"}],
            ["start>wait", "wait>end"],
            code=f"wait_{tenant}",
        )
        Process.objects.filter(pk=version.process_id).update(tenant_id=tenant)
        runs[tenant] = wm.start_run(f"wait_{tenant}")
        assert runs[tenant].tenant_id == tenant
    time_machine.shift(timedelta(hours=2))
    return runs


def states(runs):
    return {t: ProcessInstance.objects.get(pk=r.pk).state for t, r in runs.items()}


def test_the_timeout_scan_can_be_scoped_to_one_tenant(wm, timer_runs):
    assert wm.run(scans.timeout_scan, tenant={"tenant_id": "acme"}) == 1
    assert states(timer_runs) == {"acme": RunState.COMPLETED, "globex": RunState.WAITING}
    assert wm.run(scans.timeout_scan, tenant={"tenant_id": "acme"}) == 0  # idempotent
    assert wm.run(scans.timeout_scan) == 1  # the default: every tenant
    assert not Timer.objects.filter(fired_at=None).exists()


@pytest.fixture
def sla_runs(wm, time_machine, bob):
    time_machine.move_to(T0, tick=False)
    runs = {}
    for tenant in ("acme", "globex"):
        version = deploy(
            [{"key": "h", "kind": "human", "assignee": "data.who", "sla_duration": "1d"}],
            ["start>h", "h>end"],
            code=f"sla_{tenant}",
        )
        Process.objects.filter(pk=version.process_id).update(tenant_id=tenant)
        runs[tenant] = wm.start_run(f"sla_{tenant}", {"who": "bob"})
    time_machine.shift(timedelta(days=2))
    return runs


def test_the_sla_scan_can_be_scoped_to_one_tenant(wm, sla_runs):
    assert wm.run(scans.sla_scan, tenant={"tenant_id": "globex"}) == {"warned": 0, "breached": 1}
    breached = AuditEvent.objects.filter(action="sla.breached").values_list("tenant_id", flat=True)
    assert list(breached) == ["globex"]
    assert wm.run(scans.sla_scan) == {"warned": 0, "breached": 1}  # then acme's


def test_run_scans_command_takes_a_tenant(wm, timer_runs, capsys):
    wm.run(call_command, "run_scans", "--tenant", "globex")
    out = capsys.readouterr().out
    assert "tenant globex: timers fired: 1" in out
    assert states(timer_runs) == {"acme": RunState.WAITING, "globex": RunState.COMPLETED}
    wm.run(call_command, "run_scans")
    assert "timers fired: 1" in capsys.readouterr().out
    assert states(timer_runs)["acme"] == RunState.COMPLETED


def test_run_scans_command_refuses_an_empty_tenant(db):
    with pytest.raises(CommandError, match="needs a tenant id"):
        call_command("run_scans", "--tenant", " ")


def test_rows_without_a_tenant_column_follow_their_run(settings, django_user_model, wm):
    from engine.models import WorkItem

    deploy([{"key": "h", "kind": "human", "roles": ["staff"]}], ["start>h", "h>end"], code="t")
    ours = wm.start_run("t")
    theirs = wm.start_run("t")
    ProcessInstance.objects.filter(pk=ours.pk).update(tenant_id="acme")
    ProcessInstance.objects.filter(pk=theirs.pk).update(tenant_id="globex")
    settings.WAYMARK_TENANT_RESOLVER = by_username
    alice = django_user_model.objects.create_user("acme.alice")
    visible = tenancy.scoped(WorkItem.objects.all(), alice)
    assert {w.instance_id for w in visible} == {ours.pk}


# Signals ---------------------------------------------------------------------------------------


def test_send_signal_command_can_aim_at_one_tenant(wm, capsys):
    runs = {}
    for tenant in ("acme", "globex"):
        deploy(
            [{"key": "paid", "kind": "signal", "signal_name": "payment"}],
            ["start>paid", "paid>end"],
            code=f"shop_{tenant}",
        )
        Process.objects.filter(code=f"shop_{tenant}").update(tenant_id=tenant)
        runs[tenant] = wm.start_run(f"shop_{tenant}")
    wm.run(call_command, "send_signal", "payment", "--tenant", "globex")
    assert f"woke run(s) {runs['globex'].pk}" in capsys.readouterr().out
    assert states(runs) == {"acme": RunState.WAITING, "globex": RunState.COMPLETED}


def test_a_kept_signal_waits_for_a_suspended_run_of_its_own_tenant(wm, django_user_model):
    from engine.models import PendingSignal

    deploy(
        [{"key": "paid", "kind": "signal", "signal_name": "payment"}],
        ["start>paid", "paid>end"],
        code="shop",
    )
    Process.objects.filter(code="shop").update(tenant_id="acme")
    run = wm.start_run("shop")
    admin = django_user_model.objects.create_superuser("root")
    wm.suspend_run(run, user=admin)
    wm.send_signal("payment", {"from": "globex"}, tenant_id="globex")
    wm.send_signal("payment", {"from": "acme"}, tenant_id="acme")
    wm.resume_run(run, user=admin)
    run.refresh_from_db()
    assert (run.state, run.data) == (RunState.COMPLETED, {"from": "acme"})
    # globex's signal is still kept, for a run of globex.
    assert PendingSignal.objects.get(consumed_at=None).tenant_id == "globex"
