"""Triggers of a version, and pausing a process (shapes only; rules live in the services).

Values (kind, cron, zone, concurrency) are checked by engine.services.triggers
with the file format's words, so every door answers a bad one the same way.
"""

from __future__ import annotations

from rest_framework import serializers

from engine.core.triggers import KIND_FIELDS
from engine.models import DateEventFire, ScheduleFire, Trigger
from engine.models.definitions import KEY_PATTERN


class TriggerSerializer(serializers.Serializer):
    key = serializers.RegexField(KEY_PATTERN, max_length=64)
    kind = serializers.CharField(
        max_length=16, help_text="schedule, model_event, date_event or signal"
    )
    cron = serializers.CharField(max_length=200, required=False, help_text="e.g. 30 7 * * *")
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="an IANA zone (default UTC)"
    )
    concurrency = serializers.CharField(max_length=8, required=False, help_text="allow or skip")
    data = serializers.JSONField(required=False, help_text="the started run's data (an object)")
    model = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="app_label.ModelName"
    )
    on = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        max_length=3,
        help_text="model_event: create, update, delete",
    )
    condition = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        help_text="the condition language, over record (record.name == 'vip')",
    )
    watch = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=100,
        help_text="model_event: updates fire only when one of these fields changes",
    )
    date_field = serializers.CharField(max_length=100, required=False, allow_blank=True)
    offset = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="date_event: e.g. -1h"
    )
    signal = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="signal: its name"
    )
    next_fire_at = serializers.SerializerMethodField(
        help_text="UTC; null unless the version is published (a schedule: its next time; "
        "a date_event: its earliest armed record)"
    )

    def to_representation(self, instance: Trigger) -> dict:
        """Only the fields of the trigger's kind (a schedule has no model, and so on)."""
        shown = super().to_representation(instance)
        own = set(KIND_FIELDS.get(instance.kind, ())) | {"key", "kind", "next_fire_at"}
        return {name: value for name, value in shown.items() if name in own}

    def get_next_fire_at(self, trigger: Trigger) -> str | None:
        # A date_event's next fire is its earliest armed record.
        fires = DateEventFire if trigger.kind == "date_event" else ScheduleFire
        due = (
            fires.objects.filter(trigger=trigger)
            .exclude(**({"record_pk": ""} if fires is DateEventFire else {}))  # arming marker
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
        return due.isoformat() if due else None


class TriggerUpdateSerializer(TriggerSerializer):
    """A trigger's fields for PATCH: all optional; its key never changes."""

    key = serializers.CharField(read_only=True)


class PauseSerializer(serializers.Serializer):
    process = serializers.CharField(source="code", read_only=True)
    paused = serializers.BooleanField(read_only=True)
