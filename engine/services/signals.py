"""Signals: wake the runs waiting for a named event whose correlation matches.

A wait-for-signal activity names a signal and optionally a correlation
expression over the run data (``data.order_id``); its value is stored on the
waiting workitem when the run starts waiting. ``send_signal(name, payload,
correlation=...)`` wakes every run waiting on that name with that
correlation value (compared as text, so 42 and "42" match); a signal without
correlation wakes the waits that have no correlation expression. The payload
(a JSON object) is merged into each woken run's data.

Tenancy (engine.tenancy): a signal reaches only the runs its sender may see.
Sent by a user of tenant A, it wakes only A's runs, however well another
tenant's name and correlation are guessed; sent by code without a user (or
for ``tenant_id=...``), every tenant's runs (or that tenant's). The sender is
the actor of the ``signal.received`` audit event, ``system`` only when no
user sent it.

A signal that wakes nobody starts a run of each process with a ``signal``
trigger of that name (``engine.services.signal_starts``); one that starts
nothing either is kept for ``WAYMARK_SIGNAL_RETENTION`` with its
sender and tenant, and consumed by the first run of that tenant that starts
waiting for it. A signal and a run
starting to wait at the very same moment can miss each other (neither sees
the other's uncommitted row); ``match_pending`` — run by the timer loop and
the reconciler — pairs them up a moment later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from engine.conf import waymark_setting
from engine.core.durations import parse_duration
from engine.errors import InvalidData
from engine.models import PendingSignal, WorkItem, WorkItemState
from engine.runtime import signals as waits
from engine.runtime.audit import record
from engine.runtime.data import correlation_text
from engine.runtime.effects import Effects
from engine.runtime.locks import ACTIVE_RUN, lock_workitem
from engine.runtime.walk import Walk
from engine.services import signal_starts
from engine.services.runs import clean_data
from engine.tenancy import resolve_tenant, scoped_to


@dataclass
class SignalResult:
    woken: list[int] = field(default_factory=list)  # run ids
    started: list[int] = field(default_factory=list)  # runs a signal trigger started
    kept: PendingSignal | None = None  # when nobody was waiting

    @property
    def delivered(self) -> bool:
        return bool(self.woken)


def _retention():
    value = waymark_setting("SIGNAL_RETENTION")
    return parse_duration(value) if isinstance(value, str) else value


def send_signal(
    name: str,
    payload: dict | None = None,
    correlation=None,
    *,
    user=None,
    tenant_id: str | None = None,
    keep: bool = True,
    exclude_run: int | None = None,
) -> SignalResult:
    """Deliver a signal; returns the runs it woke, or the kept signal when none waited.

    It reaches the runs of ``tenant_id`` when given, else of ``user``'s tenant
    (every tenant's when the user has none, or no user sent it: the system).
    ``keep=False``: a signal that wakes and starts nothing is dropped, not kept;
    ``exclude_run``: a run it must not wake (the run a model event just started).
    """
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidData("A signal needs a name of 1 to 200 characters.")
    payload = clean_data(payload, None, what="signal payload")
    key = correlation_text(correlation)
    tenant = {"tenant_id": tenant_id} if tenant_id is not None else resolve_tenant(user)
    # None: the signal may reach every tenant's runs, now and when kept.
    reach = str(tenant.get("tenant_id") or "") if tenant is not None else None
    sender = user if getattr(user, "is_authenticated", False) else None
    result = SignalResult()
    effects = Effects()
    with transaction.atomic():
        result.woken = _wake_waiting(name, key, tenant, payload, sender, effects, exclude_run)
        if not result.woken:  # nobody waited: signal triggers start runs (message starts)
            result.started = signal_starts.start_runs(name, payload, key, reach)
        if not result.woken and not result.started and keep:
            result.kept = _keep(name, key, payload, reach=reach, sender=sender)
        effects.schedule()
    return result


def _wake_waiting(name, key, tenant, payload, sender, effects: Effects, exclude_run=None):
    """Wake every run of ``tenant`` (None: any) waiting for the signal; their ids."""
    candidates = WorkItem.objects.filter(
        state=WorkItemState.WAITING,
        signal_name=name,
        correlation_value=key,
        instance__state__in=ACTIVE_RUN,
    ).exclude(instance_id=exclude_run)
    waiting = list(
        scoped_to(candidates, tenant).order_by("instance_id", "pk").values_list("pk", "instance_id")
    )
    woken: list[int] = []
    for pk, instance_id in waiting:
        locked = lock_workitem(pk, run_id=instance_id, states=[WorkItemState.WAITING], active=True)
        if locked is None:
            continue
        run, workitem = locked
        walk = Walk(run, effects, actor=sender)
        waits.receive_signal(walk, workitem, payload)
        walk.settle()
        if instance_id not in woken:
            woken.append(instance_id)
    return woken


def _keep(name, key, payload, *, reach: str | None, sender) -> PendingSignal:
    """Nobody waited: keep the signal for the first run (of ``reach``) that will."""
    now = timezone.now()
    kept = PendingSignal.objects.create(
        name=name,
        correlation=key,
        payload=payload,
        received_at=now,
        expires_at=now + _retention(),
        tenant_id=reach,
        sent_by=sender,
    )
    record(
        "signal.kept",
        actor=sender,
        tenant_id=reach or "",
        metadata={"signal": name, "correlation": key, "pending_signal": kept.pk},
    )
    return kept


def match_pending(now=None) -> int:
    """Pair kept signals with runs (of their tenant) that started waiting meanwhile."""
    now = now or timezone.now()
    matched = 0
    pending = PendingSignal.objects.filter(consumed_at=None, expires_at__gt=now).order_by(
        "received_at", "pk"
    )
    for signal_id, name, key, reach in pending.values_list(
        "pk", "name", "correlation", "tenant_id"
    )[:500]:
        candidates = WorkItem.objects.filter(
            state=WorkItemState.WAITING,
            signal_name=name,
            correlation_value=key,
            instance__state__in=ACTIVE_RUN,
        )
        if reach is not None:
            candidates = candidates.filter(instance__tenant_id=reach)
        waiting = candidates.values_list("pk", "instance_id").first()
        if waiting is None:
            continue
        effects = Effects()
        with transaction.atomic():
            locked = lock_workitem(waiting[0], run_id=waiting[1], states=[WorkItemState.WAITING])
            signal = (
                PendingSignal.objects.select_for_update()
                .filter(pk=signal_id, consumed_at=None)
                .first()
            )
            if signal is None or locked is None:
                continue
            run, workitem = locked
            walk = Walk(run, effects)
            waits.consume_kept_signal(walk, signal, workitem)
            walk.settle()
            effects.schedule()
            matched += 1
    return matched


def expire_pending(now=None) -> int:
    """Delete kept signals past their retention, and consumed ones older than it."""
    now = now or timezone.now()
    expired, _ = PendingSignal.objects.filter(expires_at__lte=now).delete()
    return expired
