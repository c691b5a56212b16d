"""Incidents as a resource: why a run cannot move by itself, and what was done about it."""

from __future__ import annotations

from rest_framework import serializers

from engine.api.filters import ListQuery, id_field, ordering_field
from engine.api.serializers.common import username
from engine.models import Incident, IncidentKind


class IncidentDetailSerializer(serializers.ModelSerializer):
    run = serializers.IntegerField(source="instance_id", read_only=True)
    process = serializers.CharField(source="instance.process.code", read_only=True)
    open = serializers.BooleanField(source="is_open", read_only=True)
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "run",
            "process",
            "kind",
            "activity_key",
            "workitem",
            "message",
            "traceback",
            "open",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields

    def get_resolved_by(self, incident: Incident) -> str | None:
        return username(incident.resolved_by)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class IncidentQuery(ListQuery):
    ORDERING = {"id": "pk", "created_at": "created_at", "resolved_at": "resolved_at"}
    DEFAULT_ORDERING = "-created_at"

    run = id_field("a run id")
    process = serializers.CharField(required=False, max_length=64, help_text="a process code")
    kind = serializers.ChoiceField(choices=IncidentKind.values, required=False)
    open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open incidents only; false: resolved ones only",
    )
    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)
