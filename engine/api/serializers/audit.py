"""Audit events as the API lists them."""

from __future__ import annotations

from rest_framework import serializers

from engine.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)
    process = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "action",
            "actor",
            "process",
            "version",
            "instance",
            "workitem",
            "activity_key",
            "transition_key",
            "status_from",
            "status_to",
            "metadata",
        ]
        read_only_fields = fields

    def get_process(self, event: AuditEvent) -> str | None:
        return event.process.code if event.process_id else None

    def get_version(self, event: AuditEvent) -> int | None:
        return event.version.number if event.version_id else None
