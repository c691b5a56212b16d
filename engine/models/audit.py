"""The audit trail: one row per state change, with who did it and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)  # e.g. "version.published"
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the trail still says who it was after the user is deleted.
    actor_name = models.CharField(max_length=150, blank=True)
    process = models.ForeignKey(
        "engine.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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
            models.Index(fields=["process", "-created_at"], name="audit_process_time"),
            models.Index(fields=["instance", "created_at"], name="audit_instance_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"
