"""What the API reads and writes. Serializers check types and shapes only; every
rule about what may change lives in engine.services, which the views call."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from rest_framework import serializers

from engine.models import (
    Activity,
    ActivityKind,
    AuditEvent,
    Incident,
    Process,
    ProcessInstance,
    Transition,
    Version,
    WorkItem,
)
from engine.models.definitions import KEY_PATTERN, code_validator
from engine.schemas import check_schema
from engine.services.definitions import ACTIVITY_FIELDS

MAX_ID = 2**31 - 1


def check_json_schema(value: dict) -> dict:
    """The same check as every other door (engine.schemas): meta-schema, inner $refs, RE2."""
    problems = check_schema(value)
    if problems:
        raise serializers.ValidationError(problems)
    return value


def username(user) -> str | None:
    return user.get_username() if user is not None else None


def run_page_url(run_id: int) -> str:
    # The run page is built in parallel with the API; until its URL name
    # exists the link still points where it will live.
    try:
        return reverse("monitoring:run_detail", args=[run_id])
    except NoReverseMatch:
        return f"/runs/{run_id}/"


class ErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ErrorItemSerializer(many=True)


# Processes ----------------------------------------------------------------------------


class ProcessSerializer(serializers.ModelSerializer):
    published_version = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = Process
        fields = [
            "code",
            "title",
            "description",
            "input_schema",
            "published_version",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    def get_published_version(self, process: Process) -> int | None:
        if hasattr(process, "published_number"):  # annotated by the list: no query per row
            return process.published_number
        version = process.published_version()
        return version.number if version else None

    def get_created_by(self, process: Process) -> str | None:
        return username(process.created_by)


class ProcessCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, validators=[code_validator])
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    input_schema = serializers.DictField(required=False)

    def validate_input_schema(self, value):
        return check_json_schema(value)


class ProcessUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    input_schema = serializers.DictField(required=False)

    def validate_input_schema(self, value):
        return check_json_schema(value)


# Versions and their elements --------------------------------------------------------------


class ActivitySerializer(serializers.ModelSerializer):
    key = serializers.RegexField(KEY_PATTERN, max_length=64, required=False)
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    roles = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=200, required=False
    )
    allowed_users = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=200, required=False
    )
    allowed_groups = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=200, required=False
    )
    outcomes = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=100, required=False
    )
    form_schema = serializers.DictField(required=False)

    class Meta:
        model = Activity
        fields = ["key", *ACTIVITY_FIELDS]
        extra_kwargs = {
            "retry_max_attempts": {"min_value": 1, "max_value": 100},
            "retry_base_delay": {"min_value": 0, "max_value": 86_400},
            "retry_backoff_factor": {"min_value": 1, "max_value": 100},
            "retry_max_delay": {"min_value": 0, "max_value": 604_800},
            "x": {"min_value": -1e7, "max_value": 1e7},
            "y": {"min_value": -1e7, "max_value": 1e7},
        }

    def validate_form_schema(self, value):
        return check_json_schema(value)


class ActivityUpdateSerializer(ActivitySerializer):
    """An activity's fields for PATCH: all optional; its key never changes."""

    class Meta(ActivitySerializer.Meta):
        read_only_fields = ["key"]


class TransitionSerializer(serializers.ModelSerializer):
    key = serializers.RegexField(KEY_PATTERN, max_length=64, required=False)
    source = serializers.RegexField(KEY_PATTERN, max_length=64, help_text="an activity key")
    target = serializers.RegexField(KEY_PATTERN, max_length=64, help_text="an activity key")
    priority = serializers.IntegerField(required=False, min_value=-1_000_000, max_value=1_000_000)

    class Meta:
        model = Transition
        fields = ["key", "source", "target", "name", "condition", "priority", "is_default"]

    def to_representation(self, transition: Transition) -> dict:
        return {
            "key": transition.key,
            "source": transition.source.key,
            "target": transition.target.key,
            "name": transition.name,
            "condition": transition.condition,
            "priority": transition.priority,
            "is_default": transition.is_default,
        }


class TransitionUpdateSerializer(TransitionSerializer):
    class Meta(TransitionSerializer.Meta):
        read_only_fields = ["key"]


class VersionSerializer(serializers.ModelSerializer):
    process = serializers.CharField(source="process.code", read_only=True)
    created_by = serializers.SerializerMethodField()
    published_by = serializers.SerializerMethodField()
    cloned_from = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = [
            "process",
            "number",
            "status",
            "note",
            "created_at",
            "created_by",
            "published_at",
            "published_by",
            "cloned_from",
        ]
        read_only_fields = fields

    def get_created_by(self, version: Version) -> str | None:
        return username(version.created_by)

    def get_published_by(self, version: Version) -> str | None:
        return username(version.published_by)

    def get_cloned_from(self, version: Version) -> int | None:
        return version.cloned_from.number if version.cloned_from_id else None


class VersionDetailSerializer(VersionSerializer):
    activities = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "activities", "transitions"]
        read_only_fields = fields

    def get_activities(self, version: Version) -> list[dict]:
        return ActivitySerializer(version.activities.all(), many=True).data

    def get_transitions(self, version: Version) -> list[dict]:
        rows = version.transitions.select_related("source", "target")
        return TransitionSerializer(rows, many=True).data


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    key = serializers.CharField(allow_null=True)
    severity = serializers.CharField()
    message = serializers.CharField()
    hint = serializers.CharField()


class TextConditionSerializer(serializers.Serializer):
    """A condition compared with the outcome as text (kept as typed, compatible strategy)."""

    key = serializers.CharField(help_text="The transition's key.")
    arrow = serializers.CharField(help_text="Its name, else 'Source → Target'.")
    condition = serializers.CharField()
    suggestion = serializers.CharField(
        help_text="The same test over run data (data.<field> …), or empty when none fits."
    )
    message = serializers.CharField()


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = ProblemSerializer(many=True)
    text_conditions = TextConditionSerializer(
        many=True,
        help_text="Conditions that will be compared with the outcome as text, not run data.",
    )


class DiffQuerySerializer(serializers.Serializer):
    against = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    layout = serializers.BooleanField(required=False, default=True)


class ImportQuerySerializer(serializers.Serializer):
    publish = serializers.BooleanField(required=False, default=False)


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
        help_text=("running, waiting, suspended, failed, completed or cancelled"),
    )
    started_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProcessInstance
        fields = [
            "id",
            "process",
            "version",
            "state",
            "detailed_state",
            "business_key",
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

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "condition", "data", "result", "incidents"]
        read_only_fields = fields

    def get_incidents(self, run: ProcessInstance) -> list[dict]:
        return IncidentSerializer(run.incidents.filter(resolved_at=None), many=True).data


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
    kept = serializers.BooleanField(help_text="no run waited: the signal is kept for later")
    pending_signal = serializers.IntegerField(allow_null=True)


# Workitems -------------------------------------------------------------------------------


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
        from engine import executor

        graph = executor.graph_for(workitem.instance.version_id)
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


# Audit -------------------------------------------------------------------------------------


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
