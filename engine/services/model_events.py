"""Dispatching model events from the outbox: the run started once, the event signalled.

``dispatch(event_id)`` (the task ``engine.tasks.dispatch_model_event``, sent
when the record's transaction commits) does in ONE transaction:

1. claims the row with a compare-and-set on ``dispatched_at`` (two
   dispatchers racing: on PostgreSQL the second waits for the first's row
   lock, then finds the row dispatched and does nothing);
2. starts a run through ``engine.runtime.trigger_starts.start_for_trigger``
   with the trigger's data (``record.<field>`` values read from the record
   snapshot), honouring skip, the singleton key, a paused process and the
   audit events;
3. sends the signal ``event:<trigger key>`` with the record's pk (as text) as
   correlation and the same data as payload, to the process's tenant:
   a run waiting for it wakes (a run the singleton key joined included, when
   it waits with that correlation); nobody waiting: it is kept, as any signal,
   except when this event created a run: that run does not also get its own
   starting event as a signal, now or later (other runs waiting for it do).

So a row is dispatched exactly once, or not at all (then ``attempts`` and
``last_error`` say why, and it is tried again). ``dispatch_left`` is part of
the reconciler's sweep: rows still undispatched ``LEFT_AFTER_SECONDS`` after
they were written (the process died between the commit and the task, or the
task was lost) are dispatched then, up to ``MAX_ATTEMPTS`` tries each (the
last failed try is ``trigger.failed`` in the audit log, with the error); rows
dispatched more than ``KEEP_DISPATCHED`` ago are deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engine.core.record_values import resolve_data
from engine.models import ModelEvent
from engine.runtime.audit import record
from engine.runtime.trigger_starts import start_for_trigger
from engine.services.signals import send_signal

log = logging.getLogger("engine.triggers")

LEFT_AFTER_SECONDS = 5
MAX_ATTEMPTS = 5
BATCH = 500
KEEP_DISPATCHED = timedelta(days=7)  # then the audit log's trigger.* events remain


def dispatch(event_id: int) -> bool:
    """Start the run of one model event; False when it was dispatched already (or failed)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = ModelEvent.objects.filter(pk=event_id, dispatched_at=None).update(
                dispatched_at=now, attempts=F("attempts") + 1
            )
            if not claimed:
                return False
            event = ModelEvent.objects.select_related("trigger__version__process").get(pk=event_id)
            _fire(event)
    except Exception as exc:  # the claim rolled back with it: tried again by the sweep
        log.exception("model event %s could not be dispatched", event_id)
        _record_failure(event_id, str(exc)[:2000])
        return False
    return True


def _record_failure(event_id: int, error: str) -> None:
    """Count the failed try; the last one allowed is ``trigger.failed`` in the audit log."""
    ModelEvent.objects.filter(pk=event_id, dispatched_at=None).update(
        attempts=F("attempts") + 1, last_error=error
    )
    event = ModelEvent.objects.select_related("trigger__version__process").filter(pk=event_id)
    row = event.first()
    if row is None or row.attempts != MAX_ATTEMPTS:
        return
    version = row.trigger.version
    facts = {
        "trigger": row.trigger.key,
        "event": row.event,
        "model": row.model,
        "pk": row.record_pk,
        "model_event": row.pk,
        "attempts": row.attempts,
        "error": error,
    }
    record("trigger.failed", process=version.process, version=version, metadata=facts)


def _fire(event: ModelEvent) -> None:
    trigger = event.trigger
    data = resolve_data(dict(trigger.data or {}), event.record)
    facts = {
        "event": event.event,
        "model": event.model,
        "pk": event.record_pk,
        "model_event": event.pk,
    }
    started = start_for_trigger(trigger, data, facts)
    send_signal(
        f"event:{trigger.key}",
        data,
        correlation=event.record_pk,
        tenant_id=trigger.version.process.tenant_id,
        # A run this event created does not also get it as a signal, now or kept for later.
        keep=started.outcome != "started",
        exclude_run=started.run.pk if started.outcome == "started" and started.run else None,
    )


def dispatch_left(now: datetime | None = None, limit: int = BATCH) -> int:
    """Dispatch the model events left undispatched for a while; returns how many started."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=LEFT_AFTER_SECONDS)
    left = ModelEvent.objects.filter(
        dispatched_at=None, created_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)[:limit]
    started = sum(1 for pk in list(left) if dispatch(pk))
    ModelEvent.objects.filter(dispatched_at__lt=now - KEEP_DISPATCHED).delete()
    return started
