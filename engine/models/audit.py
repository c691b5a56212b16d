"""The audit trail: one row per state change, with who did it and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuditEvent(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)  # e.g. "version.published"
    # The foreign keys below get no index of their own when another index leads with
    # them, or a partial one when most rows hold NULL: each index is a page an
    # automatic step writes at its commit (engine/models/indexes.py).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial: audit_actor (the engine's own events have none)
    )
    # Kept as text too, so the trail still says who it was after the user is deleted.
    actor_name = models.CharField(max_length=150, blank=True)
    process = models.ForeignKey(  # audit_process_time leads with it
        "engine.Process",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    version = models.ForeignKey(
        "engine.Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instance = models.ForeignKey(
        "engine.ProcessInstance",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        db_index=False,  # audit_instance_time leads with it
    )
    workitem = models.ForeignKey(
        "engine.WorkItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity_key = models.CharField(max_length=64, blank=True)
    transition_key = models.CharField(max_length=64, blank=True)
    status_from = models.CharField(max_length=32, blank=True)
    status_to = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    tenant_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Ascending: a new event lands at the end (engine/models/indexes.py).
            models.Index(fields=["process", "created_at"], name="audit_process_time"),
            models.Index(fields=["instance", "created_at"], name="audit_instance_time"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"
