"""Where a run stands: its open activities, what they wait for, its timers, why it failed."""

from __future__ import annotations

from rest_framework import serializers

from engine.api.serializers.common import username
from engine.models import Incident, ProcessInstance, RunState, Timer, WorkItem
from engine.models.runtime import OPEN_STATES


class CurrentActivitySerializer(serializers.ModelSerializer):
    """One open visit: a task, an automatic step, a wait."""

    workitem = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.SerializerMethodField(help_text="the activity's name (its key if unnamed)")
    kind = serializers.CharField(source="activity_kind", read_only=True)
    since = serializers.DateTimeField(source="created_at", read_only=True)
    assignee = serializers.SerializerMethodField()
    signal = serializers.SerializerMethodField(help_text="the signal name it waits for, or null")
    correlation = serializers.SerializerMethodField(
        help_text="the correlation value the signal must carry, or null"
    )

    class Meta:
        model = WorkItem
        fields = [
            "workitem",
            "activity_key",
            "name",
            "kind",
            "state",
            "since",
            "assignee",
            "due_at",
            "signal",
            "correlation",
            "error",
        ]
        read_only_fields = fields

    def get_name(self, workitem: WorkItem) -> str:
        return workitem.name or workitem.activity_key

    def get_assignee(self, workitem: WorkItem) -> str | None:
        return username(workitem.assignee)

    def get_signal(self, workitem: WorkItem) -> str | None:
        return workitem.signal_name or None

    def get_correlation(self, workitem: WorkItem) -> str | None:
        return workitem.correlation_value if workitem.signal_name else None


class TimerSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="timer, timeout or retry (backoff)")
    activity_key = serializers.CharField(source="workitem.activity_key", read_only=True)

    class Meta:
        model = Timer
        fields = ["kind", "activity_key", "due_at"]
        read_only_fields = fields


def current_activities(run: ProcessInstance) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(instance=run, state__in=OPEN_STATES)
        .select_related("assignee")
        .order_by("seq")
    )


def pending_timers(run: ProcessInstance) -> list[Timer]:
    return list(
        Timer.objects.filter(instance=run, fired_at=None)
        .select_related("workitem")
        .order_by("due_at", "pk")
    )


def failure(run: ProcessInstance) -> Incident | None:
    """The latest open incident of a failed run: its message is why it failed."""
    if run.state != RunState.FAILED:
        return None
    return Incident.objects.filter(instance=run, resolved_at=None).order_by("-created_at").first()
