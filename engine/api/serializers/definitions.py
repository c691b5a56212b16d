"""Processes, versions and their elements (activities, transitions), validation results."""

from __future__ import annotations

from rest_framework import serializers

from engine.api.serializers.common import MAX_ID, check_json_schema, username
from engine.core.http_templates import METHODS
from engine.models import Activity, ActivityKind, Process, Transition, Version
from engine.models.definitions import KEY_PATTERN, code_validator
from engine.services.definitions import ACTIVITY_FIELDS

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
            "singleton_key",
            "paused",
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
    code = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        validators=[code_validator],
        help_text="Left out or empty: made from the title ('Expense claim' -> 'expense-claim').",
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    input_schema = serializers.DictField(required=False)
    singleton_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="A data path (data.group_id): at most one active run per value; '' for none.",
    )

    def validate_input_schema(self, value):
        return check_json_schema(value)


class ProcessUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    input_schema = serializers.DictField(required=False)
    singleton_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="A data path (data.group_id): at most one active run per value; '' for none.",
    )

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
    http_method = serializers.ChoiceField(choices=METHODS, required=False)
    http_body = serializers.DictField(required=False, help_text='"{data.x}": a value of run data')
    http_headers = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="header name -> secret name (WAYMARK_HTTP_SECRETS), never a value",
    )

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
            "default_retry",
            "created_at",
            "created_by",
            "published_at",
            "published_by",
            "cloned_from",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "default_retry": {
                "help_text": "retry policy of automatic and HTTP tasks that keep the built-in "
                "values ({} : the built-in policy); set it in the file's process section "
                "or with PATCH on a draft"
            }
        }

    def get_created_by(self, version: Version) -> str | None:
        return username(version.created_by)

    def get_published_by(self, version: Version) -> str | None:
        return username(version.published_by)

    def get_cloned_from(self, version: Version) -> int | None:
        return version.cloned_from.number if version.cloned_from_id else None


class VersionUpdateSerializer(serializers.Serializer):
    default_retry = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="max_attempts, base_delay, backoff_factor, max_delay (as in the file's "
        "process.default_retry; fields left out take the built-in value); null or {} for none. "
        "An activity's own retry fields override it.",
    )


class VersionDetailSerializer(VersionSerializer):
    activities = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()
    triggers = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "activities", "transitions", "triggers"]
        read_only_fields = fields

    def get_activities(self, version: Version) -> list[dict]:
        return ActivitySerializer(version.activities.all(), many=True).data

    def get_transitions(self, version: Version) -> list[dict]:
        rows = version.transitions.select_related("source", "target")
        return TransitionSerializer(rows, many=True).data

    def get_triggers(self, version: Version) -> list[dict]:
        from engine.api.serializers.triggers import TriggerSerializer

        return TriggerSerializer(version.triggers.order_by("key"), many=True).data


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
