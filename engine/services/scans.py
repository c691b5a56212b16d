"""The periodic sweeps: the timeout scan, the SLA scan and the reconciler's sweep.

Time-zone aware, idempotent, safe to run anywhere: they compare aware UTC
timestamps stored on the rows with ``timezone.now()`` and change a row only
in a transaction that re-checks it under its run's lock, so running a scan
twice (or in two places at once) changes nothing the second time.

- The timeout scan fires every due timer (timer activities, timeouts, retry
  backoffs): the same work as the timer loop (``engine.runtime.timers``), as a
  safety net on Django-Q2's schedule or cron.
- The SLA scan marks human workitems warned once (``sla_warned_at``) and
  breached once (``sla_breached_at``), records ``sla.warned`` /
  ``sla.breached``, e-mails the assignee or candidates when
  ``WAYMARK_SLA_NOTIFY``, and on breach offers the task to its activity's
  roles again when ``WAYMARK_SLA_AUTO_ASSIGN`` (escalation).
- ``reconcile`` is one sweep of housekeeping: dead workers' steps counted,
  lost steps sent again (``engine.runtime.reconciler``), kept signals matched
  and expired, webhook deliveries that are due sent.

The scans take an optional ``tenant`` (``{"tenant_id": ...}``, as
engine.tenancy's resolver returns): only runs of that tenant, through
``tenancy.scoped_to`` (so a custom ``WAYMARK_TENANT_FILTER`` applies). The
default is every tenant.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from engine import tenancy
from engine.conf import waymark_setting
from engine.core.states import HUMAN_OPEN_STATES
from engine.models import ProcessInstance, Timer, WorkItem, WorkItemState
from engine.runtime import reconciler, timers
from engine.runtime.audit import record
from engine.runtime.effects import Effects
from engine.runtime.kinds import set_candidates
from engine.runtime.locks import ACTIVE_RUN, bump, lock_workitem
from engine.services import model_events, signals
from engine.services.notifications import recipients
from engine.webhooks import delivery

BATCH = 1000
HUMAN_OPEN = sorted(HUMAN_OPEN_STATES)


def _runs_of(tenant: dict) -> QuerySet:
    return tenancy.scoped_to(ProcessInstance.objects.all(), tenant).values("pk")


def timeout_scan(now: datetime | None = None, tenant: dict | None = None) -> int:
    """Fire the due timers (of ``tenant``'s runs only, when given); returns how many fired."""
    if tenant is None:
        return timers.fire_due(now)
    # The timer loop's query (engine.runtime.timers.due_timers) narrowed to the tenant's runs.
    rows = (
        Timer.objects.filter(
            fired_at=None,
            due_at__lte=now or timezone.now(),
            instance__state__in=ACTIVE_RUN,
            instance__in=_runs_of(tenant),
        )
        .order_by("due_at", "pk")
        .values(*timers.TIMER_COLUMNS)[:BATCH]
    )
    return sum(1 for row in list(rows) if timers.fire_timer(row["id"], now, row=row))


def sla_scan(now: datetime | None = None, tenant: dict | None = None) -> dict[str, int]:
    """Mark the human tasks past their SLA warning or breach; returns how many of each."""
    if not waymark_setting("SLA_ENABLED"):
        return {"warned": 0, "breached": 0}
    now = now or timezone.now()
    workitems = WorkItem.objects.filter(state__in=HUMAN_OPEN)
    if tenant is not None:
        workitems = workitems.filter(instance__in=_runs_of(tenant))
    # Breaches first: a workitem past both marks gets one breach (which implies
    # the warning), not a warning and a breach in the same scan.
    breach_ids = workitems.filter(sla_breached_at=None, sla_breach_at__lte=now).values_list(
        "pk", "instance_id"
    )[:BATCH]
    breached = sum(_mark(pk, run_id, now, breach=True) for pk, run_id in list(breach_ids))
    warn_ids = workitems.filter(sla_warned_at=None, sla_warn_at__lte=now).values_list(
        "pk", "instance_id"
    )[:BATCH]
    warned = sum(_mark(pk, run_id, now, breach=False) for pk, run_id in list(warn_ids))
    return {"warned": warned, "breached": breached}


def _mark(pk: int, run_id: int, now: datetime, *, breach: bool) -> int:
    field = "sla_breached_at" if breach else "sla_warned_at"
    effects = Effects()
    with transaction.atomic():
        locked = lock_workitem(pk, run_id=run_id, states=HUMAN_OPEN_STATES)
        if locked is None or getattr(locked[1], field) is not None:
            return 0
        run, workitem = locked
        setattr(workitem, field, now)
        changed = [field]
        if breach and workitem.sla_warned_at is None:
            workitem.sla_warned_at = now  # a breach implies the warning
            changed.append("sla_warned_at")
        metadata = {"due": (workitem.sla_breach_at if breach else workitem.sla_warn_at).isoformat()}
        roles = workitem.activity.roles if breach and waymark_setting("SLA_AUTO_ASSIGN") else ()
        previous = workitem.state
        if roles:
            workitem.state = WorkItemState.OFFERED
            workitem.assignee = None
            workitem.delegated_by = None
            workitem.claimed_at = None
            changed += ["state", "assignee", "delegated_by", "claimed_at"]
        bump(workitem, *changed)
        record(
            "sla.breached" if breach else "sla.warned",
            run,
            workitem,
            status_from=previous,
            status_to=workitem.state,
            metadata=metadata,
        )
        if roles:
            _escalate(run, workitem, previous, roles)
        _notify(workitem, effects)
        effects.schedule()
    return 1


def _escalate(run: ProcessInstance, workitem: WorkItem, previous: str, roles) -> None:
    """Offer a breached task to its activity's roles again."""
    set_candidates(workitem, groups=roles)
    record(
        "workitem.escalated",
        run,
        workitem,
        status_from=previous,
        status_to=workitem.state,
        metadata={"offered_to": list(roles)},
    )


def _notify(workitem: WorkItem, effects: Effects) -> None:
    if waymark_setting("SLA_NOTIFY"):
        for user_id in recipients(workitem):
            effects.notify.append((user_id, [workitem.pk]))


def reconcile(now: datetime | None = None) -> dict[str, int]:
    """One sweep: dead workers' steps counted, lost steps sent again, kept signals
    matched, expired signals dropped, webhook deliveries that are due sent, model
    events left undispatched (engine.services.model_events) started."""
    return {
        "workers_died": reconciler.expire_leases(now),
        "redispatched": reconciler.redispatch_lost(now),
        "signals_matched": signals.match_pending(now),
        "signals_expired": signals.expire_pending(now),
        "webhooks_sent": delivery.send_due(now),  # retries that are due, lost messages
        "model_events_dispatched": model_events.dispatch_left(now),  # left after a crash
    }
