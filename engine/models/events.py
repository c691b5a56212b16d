"""Model events: the outbox of model_event triggers.

A ``ModelEvent`` row is written by the receivers of
``engine.runtime.model_events`` in the same transaction as the record's
change (create, update, delete). After the commit a worker task dispatches
it (starts the run, sends the ``event:<trigger key>`` signal) and stamps
``dispatched_at`` in that same transaction, so a row is dispatched exactly
once; rows left undispatched (the process died right after the commit) are
dispatched by the reconciler's sweep.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from engine.models.triggers import Trigger


class ModelEventKind(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class ModelEvent(models.Model):
    """One model event for one armed trigger, kept until dispatched."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="model_events")
    model = models.CharField(max_length=200, help_text="app_label.ModelName")
    record_pk = models.CharField(max_length=255)
    event = models.CharField(max_length=8, choices=ModelEventKind.choices)
    record = models.JSONField(default=dict, help_text="the saved record (as triggers see it)")
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="model_event_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.model} {self.record_pk}"


__all__ = ["ModelEvent", "ModelEventKind"]
