"""Workitems: the list, the detail with what a person may do, and completion."""

from __future__ import annotations

from rest_framework import serializers

from engine.api.serializers.common import MAX_ID, username
from engine.models import Version, WorkItem


class WorkItemSerializer(serializers.ModelSerializer):
    run = serializers.IntegerField(source="instance_id", read_only=True)
    activity_kind = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    process = serializers.CharField(source="instance.process.code", read_only=True)
    assignee = serializers.SerializerMethodField()
    completed_by = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "run",
            "process",
            "activity_key",
            "activity_kind",
            "name",
            "state",
            "assignee",
            "outcome",
            "form_data",
            "created_at",
            "claimed_at",
            "completed_at",
            "completed_by",
            "due_at",
            "sla_warn_at",
            "sla_breach_at",
            "lock_version",
        ]
        read_only_fields = fields

    def get_assignee(self, workitem: WorkItem) -> str | None:
        return username(workitem.assignee)

    def get_completed_by(self, workitem: WorkItem) -> str | None:
        return username(workitem.completed_by)


class WorkItemDetailSerializer(WorkItemSerializer):
    outcomes = serializers.SerializerMethodField()
    form_schema = serializers.SerializerMethodField()
    candidates = serializers.SerializerMethodField()
    can_act = serializers.SerializerMethodField()

    class Meta(WorkItemSerializer.Meta):
        fields = [
            *WorkItemSerializer.Meta.fields,
            "outcomes",
            "form_schema",
            "candidates",
            "can_act",
        ]
        read_only_fields = fields

    def _activity(self, workitem: WorkItem):
        graph = Version.graph_of(workitem.instance.version_id)
        return graph.activities.get(workitem.activity_key)

    def get_outcomes(self, workitem: WorkItem) -> list[str]:
        activity = self._activity(workitem)
        return list(activity.outcomes) if activity else []

    def get_form_schema(self, workitem: WorkItem) -> dict:
        activity = self._activity(workitem)
        return dict(activity.form_schema) if activity else {}

    def get_candidates(self, workitem: WorkItem) -> dict:
        from engine.services import runtime

        return runtime.candidates(workitem)

    def get_can_act(self, workitem: WorkItem) -> bool:
        from engine.services import runtime

        request = self.context.get("request")
        return runtime.can_act(request.user if request else None, workitem)


class ExpectedVersionSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=MAX_ID,
        help_text="the lock_version you saw: refused with 409 if the workitem changed since",
    )


class CompleteSerializer(ExpectedVersionSerializer):
    outcome = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=200, default=None
    )
    data = serializers.DictField(required=False, default=dict)
