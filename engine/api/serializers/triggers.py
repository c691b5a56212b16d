"""Triggers of a version, and pausing a process (shapes only; rules live in the services).

Values (kind, cron, zone, concurrency) are checked by engine.services.triggers
with the file format's words, so every door answers a bad one the same way.
"""

from __future__ import annotations

from rest_framework import serializers

from engine.models import ScheduleFire, Trigger
from engine.models.definitions import KEY_PATTERN


class TriggerSerializer(serializers.Serializer):
    key = serializers.RegexField(KEY_PATTERN, max_length=64)
    kind = serializers.CharField(max_length=16, help_text="schedule (the only kind so far)")
    cron = serializers.CharField(max_length=200, required=False, help_text="e.g. 30 7 * * *")
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="an IANA zone (default UTC)"
    )
    concurrency = serializers.CharField(max_length=8, required=False, help_text="allow or skip")
    data = serializers.JSONField(required=False, help_text="the started run's data (an object)")
    next_fire_at = serializers.SerializerMethodField(
        help_text="UTC; null unless the version is published (its schedule armed)"
    )

    def get_next_fire_at(self, trigger: Trigger) -> str | None:
        due = ScheduleFire.objects.filter(trigger=trigger).values_list("due_at", flat=True).first()
        return due.isoformat() if due else None


class TriggerUpdateSerializer(TriggerSerializer):
    """A trigger's fields for PATCH: all optional; its key never changes."""

    key = serializers.CharField(read_only=True)


class PauseSerializer(serializers.Serializer):
    process = serializers.CharField(source="code", read_only=True)
    paused = serializers.BooleanField(read_only=True)
