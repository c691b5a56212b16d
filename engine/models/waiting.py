"""What a run waits on, and why it stopped: join tokens, timers, incidents, early signals.

Like the rows of ``engine.models.runtime``, these are the engine's ledger:
an unfired ``Timer`` is due work the timer loop fires even if every queue
message was lost; an open ``Incident`` is a run that cannot move by itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from engine.models.runtime import ProcessInstance, WorkItem


class Token(models.Model):
    """A branch that arrived at a parallel join and waits there for the others."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="tokens")
    activity_key = models.CharField(max_length=64)  # the join
    transition_key = models.CharField(max_length=64)  # the branch it arrived by
    created_at = models.DateTimeField(default=timezone.now)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instance", "pk"]
        indexes = [
            models.Index(
                fields=["instance", "activity_key"],
                condition=Q(consumed_at__isnull=True),
                name="token_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"token {self.activity_key} via {self.transition_key}"


class TimerKind(models.TextChoices):
    TIMER = "timer", "Timer activity"
    TIMEOUT = "timeout", "Timeout"
    RETRY = "retry", "Retry backoff"


class Timer(models.Model):
    """Something due at a moment: a timer activity, a timeout, the next retry attempt."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="timers")
    workitem = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=16, choices=TimerKind.choices)
    due_at = models.DateTimeField()
    # For a timeout: the timeout transition to take (empty: a signal timeout).
    transition_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(fired_at__isnull=True), name="timer_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M:%S}"


class IncidentKind(models.TextChoices):
    HANDLER = "handler", "The handler kept failing"
    ROUTING = "routing", "No way out"
    STEP_BUDGET = "step_budget", "Too many steps"
    DATA = "data", "Bad run data"
    SUBPROCESS = "subprocess", "Subprocess did not complete"
    STUCK = "stuck", "Waiting forever"
    ENGINE = "engine", "Engine error"


class Incident(models.Model):
    """Why a run cannot move on by itself, with the error and traceback; resolved by retry."""

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="incidents"
    )
    workitem = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField(max_length=16, choices=IncidentKind.choices)
    activity_key = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    traceback = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["instance"], condition=Q(resolved_at__isnull=True), name="incident_open"
            ),
            models.Index(fields=["-created_at"], name="incident_time"),
        ]

    def __str__(self) -> str:
        return f"incident {self.kind} on run {self.instance_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class PendingSignalQuerySet(models.QuerySet):
    def reaching(self, run: ProcessInstance) -> models.QuerySet:
        """Signals that may wake ``run``: sent from its tenant, or by the system (tenant None)."""
        return self.filter(Q(tenant_id__isnull=True) | Q(tenant_id=run.tenant_id))

    def kept_for(self, workitem: WorkItem, run: ProcessInstance, now) -> PendingSignal | None:
        """The oldest unconsumed, unexpired signal that ``workitem`` (a signal wait) can take."""
        return (
            self.reaching(run)
            .filter(
                name=workitem.signal_name,
                correlation=workitem.correlation_value,
                consumed_at=None,
                expires_at__gt=now,
            )
            .order_by("received_at", "pk")
            .first()
        )


class PendingSignal(models.Model):
    """A signal that no run was waiting for, kept until one waits or it expires."""

    name = models.CharField(max_length=200)
    correlation = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    consumed_by = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sender's tenant: a kept signal wakes only a run of that tenant. None: sent by
    # the system or a user without a tenant, who may reach every run (as they may see it).
    tenant_id = models.CharField(max_length=64, null=True, blank=True)
    # Who sent it (None: code without a user), recorded when a run later consumes it.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PendingSignalQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [
            models.Index(
                fields=["name", "correlation"],
                condition=Q(consumed_at__isnull=True),
                name="signal_pending",
            ),
            models.Index(fields=["expires_at"], name="signal_expiry"),
        ]

    def __str__(self) -> str:
        return f"signal {self.name} ({self.correlation or 'no correlation'})"
