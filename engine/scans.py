"""The timeout scan and the SLA scan: time-zone aware, idempotent, safe to run anywhere.

Both compare aware UTC timestamps stored on the rows with ``timezone.now()``
and change a row only in a transaction that re-checks it under its run's
lock, so running a scan twice (or in two places at once) changes nothing the
second time.

- The timeout scan fires every due timer (timer activities, timeouts, retry
  backoffs): the same work as the timer loop, as a safety net on Django-Q2's
  schedule or cron.
- The SLA scan marks human workitems warned once (``sla_warned_at``) and
  breached once (``sla_breached_at``), records ``sla.warned`` /
  ``sla.breached``, e-mails the assignee or candidates when
  ``WAYMARK_SLA_NOTIFY``, and on breach offers the task to its activity's
  roles again when ``WAYMARK_SLA_AUTO_ASSIGN`` (escalation).

Both take an optional ``tenant`` (``{"tenant_id": ...}``, as engine.tenancy's
resolver returns): only runs of that tenant, through ``tenancy.scoped_to``
(so a custom ``WAYMARK_TENANT_FILTER`` applies). The default is every tenant.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from engine import tenancy, timers
from engine.conf import waymark_setting
from engine.core.states import HUMAN_OPEN_STATES
from engine.executor import (
    ACTIVE_RUN,
    TIMER_COLUMNS,
    Effects,
    _audit,
    fire_timer,
    graph_for,
    lock_run,
    set_candidates,
)
from engine.models import ProcessInstance, Timer, WorkItem, WorkItemState

BATCH = 1000
HUMAN_OPEN = sorted(HUMAN_OPEN_STATES)


def _runs_of(tenant: dict) -> QuerySet:
    return tenancy.scoped_to(ProcessInstance.objects.all(), tenant).values("pk")


def timeout_scan(now: datetime | None = None, tenant: dict | None = None) -> int:
    if tenant is None:
        return timers.fire_due(now)
    # The timer loop's query (engine.timers.due_timers) narrowed to the tenant's runs.
    rows = (
        Timer.objects.filter(
            fired_at=None,
            due_at__lte=now or timezone.now(),
            instance__state__in=ACTIVE_RUN,
            instance__in=_runs_of(tenant),
        )
        .order_by("due_at", "pk")
        .values(*TIMER_COLUMNS)[:BATCH]
    )
    return sum(1 for row in list(rows) if fire_timer(row["id"], now, row=row))


def sla_scan(now: datetime | None = None, tenant: dict | None = None) -> dict[str, int]:
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
    from engine.services.notifications import recipients

    field = "sla_breached_at" if breach else "sla_warned_at"
    effects = Effects()
    with transaction.atomic():
        run = lock_run(run_id)
        workitem = WorkItem.objects.get(pk=pk)
        if workitem.state not in HUMAN_OPEN_STATES or getattr(workitem, field) is not None:
            return 0
        setattr(workitem, field, now)
        changed = [field]
        if breach and workitem.sla_warned_at is None:
            workitem.sla_warned_at = now  # a breach implies the warning
            changed.append("sla_warned_at")
        metadata = {"due": (workitem.sla_breach_at if breach else workitem.sla_warn_at).isoformat()}
        escalate = breach and waymark_setting("SLA_AUTO_ASSIGN")
        roles = ()
        if escalate:
            roles = graph_for(run.version_id).activity(workitem.activity_key).roles
            escalate = bool(roles)
        previous = workitem.state
        if escalate:
            workitem.state = WorkItemState.OFFERED
            workitem.assignee = None
            workitem.delegated_by = None
            workitem.claimed_at = None
            changed += ["state", "assignee", "delegated_by", "claimed_at"]
        workitem.lock_version += 1
        workitem.save(update_fields=[*changed, "lock_version"])
        _audit(
            "sla.breached" if breach else "sla.warned",
            run,
            workitem,
            status_from=previous,
            status_to=workitem.state,
            metadata=metadata,
        )
        if escalate:
            set_candidates(workitem, groups=roles)
            _audit(
                "workitem.escalated",
                run,
                workitem,
                status_from=previous,
                status_to=workitem.state,
                metadata={"offered_to": list(roles)},
            )
        if waymark_setting("SLA_NOTIFY"):
            for user_id in recipients(workitem):
                effects.notify.append((user_id, [workitem.pk]))
        effects.schedule()
    return 1
