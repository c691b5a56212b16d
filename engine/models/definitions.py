"""Process definitions: a Process has numbered Versions of Activities and Transitions.

Only drafts can change. The rows enforce that themselves (``save`` and
``delete`` raise ``FrozenVersionError``), so no door — the admin, the API, a
shell — can edit a published or retired version by accident. Writers are the
functions in ``engine.services.definitions``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from engine.core import graph as core
from engine.core.triggers import offset_problem
from engine.errors import FrozenVersionError

KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$"
key_validator = RegexValidator(
    KEY_PATTERN,
    "A key starts with a letter or _ and holds up to 64 letters, digits, '_', '.' or '-'.",
)
code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_\-]{0,63}$",
    "A process code holds up to 64 lower-case letters, digits, '_' or '-'.",
)


def offset_validator(value: str) -> None:
    """A timer's offset is a signed duration such as -1h (empty: none)."""
    problem = offset_problem(value)
    if problem:
        raise ValidationError(problem)


def new_key(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class ActivityKind(models.TextChoices):
    START = core.ActivityKind.START.value, "Start"
    END = core.ActivityKind.END.value, "End"
    HUMAN = core.ActivityKind.HUMAN.value, "Human task"
    AUTOMATIC = core.ActivityKind.AUTOMATIC.value, "Automatic task"
    EXCLUSIVE = core.ActivityKind.EXCLUSIVE.value, "Exclusive gateway"
    PARALLEL = core.ActivityKind.PARALLEL.value, "Parallel gateway"
    TIMER = core.ActivityKind.TIMER.value, "Timer"
    SIGNAL = core.ActivityKind.SIGNAL.value, "Wait for signal"
    SUBPROCESS = core.ActivityKind.SUBPROCESS.value, "Subprocess"
    FIRST_OF = core.ActivityKind.FIRST_OF.value, "Wait for the first"
    HTTP = core.ActivityKind.HTTP.value, "HTTP request"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Process(models.Model):
    code = models.CharField(max_length=64, unique=True, validators=[code_validator])
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # JSON Schema that a run's start data must satisfy (empty: anything goes).
    input_schema = models.JSONField(default=dict, blank=True)
    tenant_id = models.CharField(max_length=64, blank=True, db_index=True)
    # A path into a run's start data: at most one active run per value.
    singleton_key = models.CharField(max_length=255, blank=True)
    # A paused process's triggers do not fire (explicit starts still work).
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "processes"
        permissions = [
            ("design_process", "Can edit draft versions"),
            ("publish_process", "Can publish, roll back and retire versions"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def published_version(self) -> Version | None:
        return self.versions.filter(status=VersionStatus.PUBLISHED).first()


class Version(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The retry policy of its automatic and HTTP tasks where they keep the built-in
    # values ({"max_attempts": 5, ...}; empty: the built-in policy).
    default_retry = models.JSONField(default=dict, blank=True)
    # The version this one was cloned from (None for v1 and imports).
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["process", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["process", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["process"],
                condition=Q(status="published"),
                name="one_published_version_per_process",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process.code} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def ensure_draft(self) -> None:
        if not self.is_draft:
            raise FrozenVersionError(self)

    def graph(self) -> core.Graph:
        """The pure graph of this version, cached once it is frozen.

        Published and retired versions never change, so their graph is built
        once per process and kept by id; a draft's is built afresh each time
        (two queries), so an edit is seen at once.
        """
        if self.is_draft or self.pk is None:
            return self.to_graph()
        graph = _FROZEN_GRAPHS.get(self.pk)
        if graph is None:
            graph = self.to_graph()
            _remember(self.pk, graph)
        return graph

    @classmethod
    def graph_of(cls, version_id: int) -> core.Graph:
        """The graph of the version with this id (no query when it is cached)."""
        graph = _FROZEN_GRAPHS.get(version_id)
        if graph is None:
            graph = cls.objects.get(pk=version_id).graph()
        return graph

    def to_graph(self) -> core.Graph:
        """The pure graph of this version (two queries, never cached)."""
        activities = list(self.activities.all())
        by_id = {a.pk: a.key for a in activities}
        default = core.RetryPolicy(**self.default_retry) if self.default_retry else None
        return core.Graph(
            [a.to_core(default) for a in activities],
            [t.to_core(by_id) for t in self.transitions.all()],
        )


# Graphs of frozen (published or retired) versions by id. A plain dict read
# without a lock: a race builds one graph twice, which is harmless.
_FROZEN_GRAPHS: dict[int, core.Graph] = {}
GRAPH_CACHE_SIZE = 512


def _remember(version_id: int, graph: core.Graph) -> None:
    if len(_FROZEN_GRAPHS) >= GRAPH_CACHE_SIZE:
        _FROZEN_GRAPHS.clear()  # rare (that many live versions): start again
    _FROZEN_GRAPHS[version_id] = graph


def clear_graph_cache() -> None:
    """Forget the cached graphs (tests that change a frozen version's rows behind its back)."""
    _FROZEN_GRAPHS.clear()


class DraftOnlyModel(models.Model):
    """An element of a version: saving or deleting it requires a draft."""

    class Meta:
        abstract = True

    def _check_version_is_draft(self) -> None:
        # Read the status from the database: an in-memory Version could be stale.
        status = Version.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT:
            raise FrozenVersionError(Version.objects.get(pk=self.version_id))

    def save(self, *args, **kwargs):
        self._check_version_is_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_version_is_draft()
        return super().delete(*args, **kwargs)


class Activity(DraftOnlyModel):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="activities")
    key = models.CharField(max_length=64, validators=[key_validator])
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    # automatic task
    handler = models.CharField(max_length=255, blank=True)
    retry_max_attempts = models.PositiveIntegerField(default=3)
    retry_base_delay = models.FloatField(default=2.0, help_text="seconds")
    retry_backoff_factor = models.FloatField(default=2.0)
    retry_max_delay = models.FloatField(default=300.0, help_text="seconds")
    compensation_handler = models.CharField(max_length=255, blank=True)
    # human task
    roles = models.JSONField(default=list, blank=True, help_text="group names")
    allowed_users = models.JSONField(default=list, blank=True, help_text="user names")
    allowed_groups = models.JSONField(default=list, blank=True, help_text="group names")
    assignee = models.CharField(
        max_length=255, blank=True, help_text="expression over run data, e.g. data.manager"
    )
    outcomes = models.JSONField(default=list, blank=True)
    form_schema = models.JSONField(default=dict, blank=True)
    sla_warn = models.CharField(max_length=32, blank=True, help_text="e.g. 2d")
    sla_duration = models.CharField(max_length=32, blank=True, help_text="e.g. 3d")
    # timer
    timer_duration = models.CharField(max_length=32, blank=True)
    timer_date_field = models.CharField(max_length=255, blank=True)
    timer_offset = models.CharField(
        max_length=32,
        blank=True,
        validators=[offset_validator],
        help_text="added to the date field's date, e.g. -1h",
    )
    # wait for signal
    signal_name = models.CharField(max_length=200, blank=True)
    correlation = models.CharField(max_length=255, blank=True)
    signal_timeout = models.CharField(max_length=32, blank=True)
    # subprocess
    subprocess_code = models.CharField(max_length=64, blank=True)
    # end: a reason fails the run there (empty: the run completes)
    fail_reason = models.CharField(max_length=1000, blank=True)
    # HTTP request (engine.runtime.http_task): templates over run data, secret names
    http_method = models.CharField(max_length=8, default="GET")
    http_url = models.CharField(max_length=2000, blank=True)
    http_body = models.JSONField(default=dict, blank=True)
    http_headers = models.JSONField(
        default=dict, blank=True, help_text="header name -> secret name (never a value)"
    )
    http_result_path = models.CharField(max_length=255, blank=True)
    http_result_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["version", "pk"]
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="activity_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.key

    @property
    def label(self) -> str:
        return self.name or self.key

    def to_core(self, default_retry: core.RetryPolicy | None = None) -> core.Activity:
        retry = core.RetryPolicy(
            max_attempts=self.retry_max_attempts,
            base_delay=self.retry_base_delay,
            backoff_factor=self.retry_backoff_factor,
            max_delay=self.retry_max_delay,
        )
        return core.Activity(
            key=self.key,
            kind=core.ActivityKind(self.kind),
            name=self.name,
            description=self.description,
            x=self.x,
            y=self.y,
            handler=self.handler,
            retry=retry.over(default_retry) if default_retry else retry,
            compensation_handler=self.compensation_handler,
            roles=tuple(self.roles or ()),
            allowed_users=tuple(self.allowed_users or ()),
            allowed_groups=tuple(self.allowed_groups or ()),
            assignee=self.assignee,
            outcomes=tuple(self.outcomes or ()),
            form_schema=dict(self.form_schema or {}),
            sla_warn=self.sla_warn,
            sla_duration=self.sla_duration,
            timer_duration=self.timer_duration,
            timer_date_field=self.timer_date_field,
            timer_offset=self.timer_offset,
            signal_name=self.signal_name,
            correlation=self.correlation,
            signal_timeout=self.signal_timeout,
            subprocess_code=self.subprocess_code,
            fail_reason=self.fail_reason,
            http_method=self.http_method,
            http_url=self.http_url,
            http_body=dict(self.http_body or {}),
            http_headers=dict(self.http_headers or {}),
            http_result_path=self.http_result_path,
            http_result_key=self.http_result_key,
        )


class Transition(DraftOnlyModel):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="transitions")
    key = models.CharField(max_length=64, validators=[key_validator])
    source = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="incoming")
    name = models.CharField(max_length=200, blank=True)
    condition = models.CharField(max_length=2000, blank=True)
    priority = models.IntegerField(default=0, help_text="lower is evaluated first")
    is_default = models.BooleanField(default=False, help_text="taken when nothing else matches")

    class Meta:
        ordering = ["version", "priority", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="transition_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.source} → {self.target}"

    def clean(self) -> None:
        from engine.core.conditions import ConditionError

        try:
            self.normalize_condition()
        except ConditionError as exc:
            raise ValidationError({"condition": str(exc)}) from exc
        if (
            self.source_id
            and self.target_id
            and (
                self.source.version_id != self.version_id
                or self.target.version_id != self.version_id
            )
        ):
            raise ValidationError("A transition connects two activities of its own version.")

    def normalize_condition(self) -> str | None:
        """Store the canonical condition text; return a warning for kept invalid text."""
        from engine.conf import condition_strategy
        from engine.core.conditions import check

        text, warning = check(self.condition or "", strategy=condition_strategy())
        self.condition = text
        return str(warning) if warning else None

    def save(self, *args, **kwargs):
        # Every door (admin, API, designer, import) saves through here, so
        # every stored condition is canonical.
        self.normalize_condition()
        super().save(*args, **kwargs)

    def to_core(self, keys_by_activity_id: dict[int, str]) -> core.Transition:
        return core.Transition(
            key=self.key,
            source=keys_by_activity_id[self.source_id],
            target=keys_by_activity_id[self.target_id],
            name=self.name,
            condition=self.condition,
            priority=self.priority,
            is_default=self.is_default,
        )
