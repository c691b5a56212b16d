"""Runs (start, list, detail, cancel), their incidents, and signals."""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engine.api.serializers import positions
from engine.api.serializers.common import run_page_url, username
from engine.models import Incident, ProcessInstance, RunState

# Runs --------------------------------------------------------------------------------------


class RunStartSerializer(serializers.Serializer):
    process = serializers.CharField(max_length=64)
    data = serializers.DictField(required=False, default=dict)
    business_key = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )


class IncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "kind", "activity_key", "workitem", "message", "created_at", "resolved_at"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    process = serializers.CharField(source="process.code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    state = serializers.CharField(
        source="status", read_only=True, help_text=("ACTIVE, SUCCEEDED, FAILED or CANCELLED")
    )
    detailed_state = serializers.CharField(
        source="state",
        read_only=True,
        help_text=("running, waiting, suspended, failed, completed, cancelled or failed_at_end"),
    )
    started_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    trigger = serializers.CharField(
        source="trigger_key", read_only=True, help_text="the trigger that started it, or empty"
    )

    class Meta:
        model = ProcessInstance
        fields = [
            "id",
            "process",
            "version",
            "state",
            "detailed_state",
            "business_key",
            "trigger",
            "started_at",
            "ended_at",
            "started_by",
            "url",
        ]
        read_only_fields = fields

    def get_started_by(self, run: ProcessInstance) -> str | None:
        return username(run.started_by)

    def get_url(self, run: ProcessInstance) -> str:
        path = run_page_url(run.pk)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class RunDetailSerializer(RunSerializer):
    incidents = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField(
        help_text="open activities: tasks, steps and waits (with the signal they wait for)"
    )
    timers = serializers.SerializerMethodField(help_text="timers not fired yet, soonest first")
    error = serializers.SerializerMethodField(
        help_text="why a FAILED run failed: its latest open incident, or the reason of the "
        "end it failed at (detailed_state failed_at_end); null otherwise"
    )
    failed_at = serializers.SerializerMethodField(
        help_text="when a FAILED run failed; a run with an incident has no ended_at until it "
        "is retried or cancelled, one that failed at an end has ended_at too"
    )
    lock_version = serializers.IntegerField(read_only=True, help_text="bumped by every change")

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields,
            "condition",
            "data",
            "result",
            "incidents",
            "current",
            "timers",
            "error",
            "failed_at",
            "lock_version",
        ]
        read_only_fields = fields

    @extend_schema_field(IncidentSerializer(many=True))
    def get_incidents(self, run: ProcessInstance) -> list[dict]:
        return IncidentSerializer(run.incidents.filter(resolved_at=None), many=True).data

    @extend_schema_field(positions.CurrentActivitySerializer(many=True))
    def get_current(self, run: ProcessInstance) -> list[dict]:
        rows = positions.current_activities(run)
        return positions.CurrentActivitySerializer(rows, many=True).data

    @extend_schema_field(positions.TimerSerializer(many=True))
    def get_timers(self, run: ProcessInstance) -> list[dict]:
        return positions.TimerSerializer(positions.pending_timers(run), many=True).data

    def get_error(self, run: ProcessInstance) -> str | None:
        if run.state == RunState.FAILED_AT_END:
            return run.failure_reason
        incident = self._failure(run)
        return incident.message if incident is not None else None

    def get_failed_at(self, run: ProcessInstance) -> datetime | None:
        if run.state == RunState.FAILED_AT_END:
            return run.ended_at
        incident = self._failure(run)
        return incident.created_at if incident is not None else None

    def _failure(self, run: ProcessInstance):
        cache = self.context.setdefault("failures", {})
        if run.pk not in cache:
            cache[run.pk] = positions.failure(run)
        return cache[run.pk]


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


# Signals ---------------------------------------------------------------------------------


class SignalSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    payload = serializers.DictField(required=False, default=dict)
    correlation = serializers.JSONField(
        required=False, default=None, help_text="text or a number; compared as text"
    )

    def validate_correlation(self, value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise serializers.ValidationError("must be text or a number")
        if len(str(value)) > 255:
            raise serializers.ValidationError("at most 255 characters")
        return value


class SignalResultSerializer(serializers.Serializer):
    woken = serializers.ListField(child=serializers.IntegerField(), help_text="run ids")
    started = serializers.ListField(
        child=serializers.IntegerField(), help_text="runs a signal trigger started (none waited)"
    )
    kept = serializers.BooleanField(help_text="no run waited: the signal is kept for later")
    pending_signal = serializers.IntegerField(allow_null=True)
