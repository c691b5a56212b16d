"""Deliveries: created with their audit event, sent by a worker, retried with backoff.

The queue is a doorbell, not the ledger (docs/engine.md, "Durability"):

- A ``WebhookDelivery`` row is written in the same transaction as its
  ``AuditEvent`` (a post_save receiver), one per matching enabled endpoint,
  so an event committed is an event that will be delivered. A Django-Q2 task
  carrying the delivery id is sent when that transaction commits.
- A worker claims the delivery with a compare-and-set that pushes
  ``next_attempt_at`` forward and counts the attempt, so a duplicate message
  finds it not due and does nothing. The POST happens outside any
  transaction; its result is recorded afterwards.
- A failed attempt sets ``next_attempt_at`` with exponential backoff and
  jitter. The reconciler (timer loop every 5 s, Django-Q2 schedule, ``manage.py
  run_scans``) calls ``send_due``, which rings again for deliveries that are
  due, and for those whose message was lost.
"""

from __future__ import annotations

import contextvars
import logging
import random
import re
import time
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from engine.conf import step_setting, waymark_setting
from engine.errors import Conflict, InvalidData
from engine.models import AuditEvent, DeliveryState, WebhookDelivery, WebhookEndpoint
from engine.models.webhooks import OPEN_DELIVERY_STATES
from engine.runtime import scheduler
from engine.webhooks import http
from engine.webhooks.body import event_json
from engine.webhooks.signing import SIGNATURE_HEADERS, signature_headers

log = logging.getLogger("engine.webhooks")

TASK = "engine.webhooks.tasks.deliver"
BATCH = 500
# Changes to the endpoints themselves are audited but not delivered: an
# endpoint would otherwise receive the news of its own creation.
NOT_DELIVERED_PREFIX = "webhook."
ACTION_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
# Headers the endpoint's extra headers may not set: the signature and the framing.
RESERVED_HEADERS = SIGNATURE_HEADERS | {"content-type", "content-length", "host", "user-agent"}

# Set while an explicit send (a test event) creates its own deliveries.
_explicit = contextvars.ContextVar("waymark_webhooks_explicit", default=False)


# Creating deliveries ---------------------------------------------------------------------------


# Every audit event asks which endpoints want it: on a step's hot path that
# query cost more than the step's own writes. So each process keeps the list
# of enabled endpoints for a few seconds; saving or deleting an endpoint
# clears it at once in the process that did it, and other processes (workers)
# see the change within ENDPOINT_CACHE_SECONDS.
ENDPOINT_CACHE_SECONDS = 2.0
_endpoint_cache: tuple[float, list[WebhookEndpoint]] | None = None


def enabled_endpoints() -> list[WebhookEndpoint]:
    """The enabled endpoints (pk, event types, tenant), cached briefly in this process."""
    global _endpoint_cache
    now = time.monotonic()
    if _endpoint_cache is None or now - _endpoint_cache[0] > ENDPOINT_CACHE_SECONDS:
        rows = list(
            WebhookEndpoint.objects.filter(enabled=True).only("pk", "event_types", "tenant_id")
        )
        _endpoint_cache = (now, rows)
    return _endpoint_cache[1]


def forget_endpoints(**kwargs) -> None:
    """Receiver for WebhookEndpoint saves and deletes: re-read the list next time."""
    global _endpoint_cache
    _endpoint_cache = None


def on_audit_event_saved(sender, instance: AuditEvent, created: bool, raw: bool = False, **kw):
    """post_save receiver on AuditEvent (connected in EngineConfig.ready).

    Called for every event of every step: with no enabled endpoint (the cached
    list is empty) it returns before any other work.
    """
    if not created or raw or not step_setting("WEBHOOK_ENABLED"):
        return
    listening = enabled_endpoints()
    if not listening or _explicit.get():
        return
    if instance.action.startswith(NOT_DELIVERED_PREFIX):
        return
    endpoints = [
        e for e in listening if e.tenant_id in ("", instance.tenant_id) and e.wants(instance.action)
    ]
    if endpoints:
        create_deliveries(instance, endpoints)


def create_deliveries(
    event: AuditEvent, endpoints: list[WebhookEndpoint], *, dispatch: bool = True
) -> list[WebhookDelivery]:
    """One pending delivery of ``event`` per endpoint; a task for each after commit."""
    now = timezone.now()
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            message_id=f"msg_{uuid.uuid4().hex}",
            next_attempt_at=now,
            dispatched_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    ]
    if dispatch:
        for delivery in deliveries:
            scheduler.dispatch(TASK, delivery.pk)
    return deliveries


def send_test_event(
    action: str = "test.ping",
    *,
    endpoint: WebhookEndpoint | None = None,
    user=None,
    tenant_id: str = "",
    dispatch: bool = True,
) -> list[WebhookDelivery]:
    """Record a test audit event and deliver it to ``endpoint`` (or every enabled endpoint).

    A test reaches the endpoint whatever event types it subscribes to, and
    only the endpoints it is sent to.
    """
    action = (action or "").strip()
    if not ACTION_RE.match(action) or len(action) > 64:
        raise InvalidData(
            f"{action!r} is not an action name: lower-case words joined by dots, e.g. test.ping.",
            [{"path": "action", "message": "Use lower-case words joined by dots, e.g. test.ping."}],
        )
    if endpoint is None:
        endpoints = list(
            WebhookEndpoint.objects.filter(enabled=True).filter(
                Q(tenant_id="") | Q(tenant_id=tenant_id)
            )
        )
    else:
        endpoints = [endpoint]
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    token = _explicit.set(True)
    try:
        with transaction.atomic():
            # Recorded even with audit off: the delivery refers to the event it sends.
            event = AuditEvent.objects.create(
                action=action,
                actor=actor,
                actor_name=actor.get_username() if actor else "system",
                metadata={"test": True},
                tenant_id=tenant_id or (endpoint.tenant_id if endpoint else ""),
            )
            return create_deliveries(event, endpoints, dispatch=dispatch)
    finally:
        _explicit.reset(token)


# Sending ---------------------------------------------------------------------------------------


def lease_seconds() -> float:
    """How long a claimed attempt may take before another worker may try (every hop + slack)."""
    timeout = float(waymark_setting("WEBHOOK_TIMEOUT"))
    return 2 * timeout * (int(waymark_setting("WEBHOOK_MAX_REDIRECTS")) + 1) + 30


def backoff(attempt: int) -> timedelta:
    """Wait after failed attempt number ``attempt``: base * 4^(attempt-1), capped, +0-10%."""
    base = float(waymark_setting("WEBHOOK_BACKOFF_SECONDS"))
    cap = float(waymark_setting("WEBHOOK_BACKOFF_MAX_SECONDS"))
    delay = min(base * 4 ** max(attempt - 1, 0), cap)
    return timedelta(seconds=delay * (1 + random.uniform(0, 0.1)))  # noqa: S311 - jitter


def _due(now: datetime):
    return WebhookDelivery.objects.filter(state__in=OPEN_DELIVERY_STATES, next_attempt_at__lte=now)


def deliver(delivery_id: int) -> str:
    """Make one attempt at a delivery if it is due; returns its state afterwards.

    Safe to call twice, or with a stale message: only the caller whose claim
    succeeds sends.
    """
    now = timezone.now()
    claimed = (
        _due(now)
        .filter(pk=delivery_id)
        .update(
            next_attempt_at=now + timedelta(seconds=lease_seconds()), attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return "not due"
    delivery = WebhookDelivery.objects.select_related(
        "endpoint", "event", "event__process", "event__version"
    ).get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not delivery.payload:
        delivery.payload = event_json(delivery.event)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(payload=delivery.payload)
    if not endpoint.enabled:
        result = http.Attempt(None, "The endpoint is disabled; nothing was sent.", "")
    else:
        result = http.post(
            endpoint.url,
            delivery.payload,
            request_headers(endpoint, delivery, timezone.now()),
            extra_header_names=tuple(endpoint.headers or {}),
        )
    return _record(delivery.pk, result, disabled=not endpoint.enabled)


def request_headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> dict:
    headers = {
        name: str(value)
        for name, value in (endpoint.headers or {}).items()
        if name.lower() not in RESERVED_HEADERS
    }
    headers["Content-Type"] = "application/json"
    headers.update(
        signature_headers(endpoint.signing_secrets(now), delivery.message_id, now, delivery.payload)
    )
    return headers


def _record(delivery_id: int, result: http.Attempt, *, disabled: bool = False) -> str:
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.last_attempt_at = now
        delivery.last_status_code = result.status_code
        delivery.response_excerpt = result.excerpt
        out_of_attempts = delivery.attempts >= int(waymark_setting("WEBHOOK_MAX_ATTEMPTS"))
        if result.ok:
            delivery.last_error = ""
            delivery.state = DeliveryState.SUCCEEDED
        else:
            delivery.last_error = result.error or f"The receiver answered {result.status_code}."
            delivery.state = DeliveryState.FAILED
        if result.ok or disabled or out_of_attempts:
            if not result.ok:
                delivery.state = DeliveryState.GIVEN_UP
            delivery.next_attempt_at = None
            delivery.finished_at = now
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            delivery.dispatched_at = None  # the reconciler rings when it is due
        delivery.save()
    return delivery.state


def send_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send a task for every delivery that is due and has no live message; returns how many.

    Called by the reconciler. A delivery whose message was sent less than
    WAYMARK_RECONCILE_AFTER_SECONDS ago is left to that message.
    """
    if not step_setting("WEBHOOK_ENABLED"):
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=float(waymark_setting("RECONCILE_AFTER_SECONDS")))
    quiet = Q(dispatched_at=None) | Q(dispatched_at__lt=cutoff)
    sent = 0
    for pk in list(_due(now).filter(quiet).values_list("pk", flat=True)[:limit]):
        if _due(now).filter(quiet, pk=pk).update(dispatched_at=now):
            try:
                scheduler.dispatch_now(TASK, pk)
                sent += 1
            except Exception:  # a broken broker: a later sweep tries again
                log.exception("could not send webhook delivery %s to the queue", pk)
    return sent


def retry_now(delivery: WebhookDelivery) -> WebhookDelivery:
    """Make a failed (or given up) delivery due now and send it."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            WebhookDelivery.objects.filter(pk=delivery.pk)
            .exclude(state=DeliveryState.SUCCEEDED)
            .update(
                state=DeliveryState.FAILED if delivery.attempts else DeliveryState.PENDING,
                next_attempt_at=now,
                dispatched_at=now,
                finished_at=None,
            )
        )
        if not changed:
            raise Conflict("This delivery already succeeded.")
        scheduler.dispatch(TASK, delivery.pk)
    delivery.refresh_from_db()
    return delivery
