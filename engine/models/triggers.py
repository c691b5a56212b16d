"""Triggers: what starts a process by itself, drawn as part of a version.

``Trigger`` rows belong to a version and freeze with it (like activities).
``ScheduleFire`` is runtime state: the next time a published version's
schedule trigger fires, in UTC, polled by the timer loop. Publishing arms
one row per schedule trigger; retiring or rolling back deletes them.
"""

from __future__ import annotations

from django.db import models

from engine.models.definitions import DraftOnlyModel, Version, key_validator


class TriggerKind(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MODEL_EVENT = "model_event", "Model event"
    DATE_EVENT = "date_event", "Date on a record"
    SIGNAL = "signal", "Signal"


class Concurrency(models.TextChoices):
    ALLOW = "allow", "Allow"
    SKIP = "skip", "Skip while a run of this trigger is active"


class Trigger(DraftOnlyModel):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="triggers")
    key = models.CharField(max_length=64, validators=[key_validator])
    kind = models.CharField(max_length=16, choices=TriggerKind.choices)
    cron = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, blank=True, default="UTC")
    concurrency = models.CharField(
        max_length=8, choices=Concurrency.choices, default=Concurrency.ALLOW
    )
    data = models.JSONField(default=dict, blank=True, help_text="the started run's data")
    # Record triggers (model_event, date_event): which model, and which saves count.
    model = models.CharField(max_length=200, blank=True, help_text="app_label.ModelName")
    on = models.JSONField(default=list, blank=True, help_text="create, update, delete")
    condition = models.TextField(blank=True, help_text="the condition language, over record")
    watch = models.JSONField(default=list, blank=True, help_text="fields whose change counts")
    date_field = models.CharField(max_length=100, blank=True)
    offset = models.CharField(max_length=32, blank=True, help_text="e.g. -1h: an hour before")
    signal = models.CharField(max_length=200, blank=True, help_text="the signal that starts a run")

    class Meta:
        ordering = ["version", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="trigger_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.kind})"


class ScheduleFire(models.Model):
    """The next fire of one armed schedule trigger (one row per trigger)."""

    trigger = models.OneToOneField(Trigger, on_delete=models.CASCADE, related_name="fire")
    process = models.ForeignKey("engine.Process", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(help_text="UTC")
    last_fired_at = models.DateTimeField(null=True, blank=True)
    fires = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["due_at"], name="schedule_fire_due")]

    def __str__(self) -> str:
        return f"{self.trigger_id} at {self.due_at.isoformat()}"


__all__ = ["Concurrency", "ScheduleFire", "Trigger", "TriggerKind"]
