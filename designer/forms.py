"""Editor forms: the properties of an activity or a transition, adding, moving, connecting.

Forms only check and convert what people type; the services in
``engine.services.definitions`` do the writing (and check again).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from engine.conf import condition_strategy
from engine.core.conditions import ConditionError, check
from engine.core.durations import DurationError, parse_duration
from engine.models import Activity, ActivityKind
from engine.schemas import check_schema

# Which properties each kind of activity has, beyond name, description and position.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "start": (),
    "end": (),
    "human": (
        "roles",
        "allowed_users",
        "allowed_groups",
        "assignee",
        "outcomes",
        "form_schema",
        "sla_warn",
        "sla_duration",
        "compensation_handler",
    ),
    "automatic": (
        "handler",
        "retry_max_attempts",
        "retry_base_delay",
        "retry_backoff_factor",
        "retry_max_delay",
        "compensation_handler",
        "sla_warn",
        "sla_duration",
    ),
    "exclusive": (),
    "parallel": (),
    "timer": ("timer_duration", "timer_date_field"),
    "signal": ("signal_name", "correlation", "signal_timeout", "sla_warn", "sla_duration"),
    "subprocess": ("subprocess_code", "compensation_handler"),
}
COMMON_FIELDS = ("name", "description", "x", "y")
LIST_FIELDS = ("roles", "allowed_users", "allowed_groups", "outcomes")
DURATION_FIELDS = ("sla_warn", "sla_duration", "timer_duration", "signal_timeout")


LIMIT = 100000.0  # points: how far from the origin a node may be placed


class ListField(forms.CharField):
    """A JSON list of names typed as comma-separated text."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split(",") if part.strip()]


class JSONObjectField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 5, "spellcheck": "false"})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, dict):
            return json.dumps(value, indent=2) if value else ""
        return value or ""

    def to_python(self, value: Any) -> dict:
        text = (super().to_python(value) or "").strip()
        if not text:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc
        if not isinstance(data, dict):
            raise forms.ValidationError("The form schema must be a JSON object ({...}).")
        return data


def _model_field(name: str) -> forms.Field:
    field = Activity._meta.get_field(name).formfield()
    # Retry numbers always have a value; everything else may be left empty.
    field.required = name.startswith("retry_")
    return field


class ActivityForm(forms.Form):
    """The properties of one activity; the fields depend on its kind."""

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in (*COMMON_FIELDS, *KIND_FIELDS.get(kind, ())):
            if name in LIST_FIELDS:
                field = ListField(required=False, help_text="comma-separated")
            elif name == "form_schema":
                field = JSONObjectField(
                    required=False, help_text="JSON Schema of the task form, e.g. {}"
                )
            else:
                field = _model_field(name)
            if name == "description":
                field.widget = forms.Textarea(attrs={"rows": 3})
            if name in ("x", "y"):
                # Far-off positions would make Graphviz draw an enormous canvas.
                field = forms.FloatField(required=False, min_value=-LIMIT, max_value=LIMIT)
            field.label = LABELS.get(name, field.label)
            if name in HELP:
                field.help_text = HELP[name]
            self.fields[name] = field

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in DURATION_FIELDS:
            text = (data.get(name) or "").strip() if name in self.fields else ""
            if text:
                try:
                    parse_duration(text)
                except DurationError as exc:
                    self.add_error(name, str(exc))
        for name in ("retry_base_delay", "retry_backoff_factor", "retry_max_delay"):
            if (data.get(name) or 0) < 0:
                self.add_error(name, "Must not be negative.")
        if (data.get("x") is None) != (data.get("y") is None):
            self.add_error("x", "Give both x and y, or neither.")
        if data.get("form_schema"):
            # Same check as every door: meta-schema, references inside only, RE2 patterns.
            for problem in check_schema(data["form_schema"]):
                self.add_error("form_schema", problem)
        return data

    def changes(self) -> dict[str, Any]:
        """The cleaned values as service keyword arguments."""
        out = {}
        for name, value in self.cleaned_data.items():
            if isinstance(value, str):
                value = value.strip()
            out[name] = value
        if out.get("x") is None:
            out.pop("x", None)
            out.pop("y", None)
        return out


class TransitionForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    condition = forms.CharField(
        max_length=2000,
        required=False,
        help_text="e.g. APPROVED, in:A,B, instance.data.amount > 100, timeout:2d; empty: always",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    priority = forms.IntegerField(help_text="lower is evaluated first")
    is_default = forms.BooleanField(
        required=False, label="Default", help_text="taken when nothing else matches"
    )
    source = forms.ChoiceField(label="From")
    target = forms.ChoiceField(label="To")

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(a.key, f"{a.label} ({a.get_kind_display()})") for a in activities]
        self.fields["source"].choices = choices
        self.fields["target"].choices = choices
        self.condition_warning: ConditionError | None = None

    def clean_condition(self) -> str:
        text = self.cleaned_data.get("condition", "")
        try:
            _, warning = check(text, strategy=condition_strategy())
        except ConditionError as exc:
            # Strict mode: refuse, and show where the text goes wrong.
            self.condition_error = exc
            raise forms.ValidationError(str(exc)) from exc
        self.condition_warning = warning
        return text


class AddActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityKind.choices)
    name = forms.CharField(max_length=200, required=False)


class ConnectForm(forms.Form):
    source = forms.CharField(max_length=64)
    target = forms.CharField(max_length=64)
    condition = forms.CharField(max_length=2000, required=False)


class MoveForm(forms.Form):
    """Either a new position (x, y) or a step (dx, dy), in points."""

    x = forms.FloatField(required=False, min_value=-LIMIT, max_value=LIMIT)
    y = forms.FloatField(required=False, min_value=-LIMIT, max_value=LIMIT)
    dx = forms.FloatField(required=False, min_value=-LIMIT, max_value=LIMIT)
    dy = forms.FloatField(required=False, min_value=-LIMIT, max_value=LIMIT)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        absolute = data.get("x") is not None and data.get("y") is not None
        relative = data.get("dx") is not None and data.get("dy") is not None
        if not (absolute or relative) and not self.errors:
            raise forms.ValidationError("Give x and y, or dx and dy.")
        return data

    def position(self, x: float, y: float) -> tuple[float, float]:
        data = self.cleaned_data
        if data.get("x") is not None and data.get("y") is not None:
            return round(data["x"], 1), round(data["y"], 1)
        clamp = lambda v: max(-LIMIT, min(LIMIT, v))  # noqa: E731
        return round(clamp(x + data["dx"]), 1), round(clamp(y + data["dy"]), 1)


LABELS = {
    "x": "x",
    "y": "y",
    "roles": "Roles (groups)",
    "allowed_users": "Allowed users",
    "allowed_groups": "Allowed groups",
    "assignee": "Assignee expression",
    "outcomes": "Outcomes",
    "form_schema": "Form schema (JSON)",
    "sla_warn": "SLA warning after",
    "sla_duration": "SLA breached after",
    "handler": "Handler",
    "retry_max_attempts": "Retry: max attempts",
    "retry_base_delay": "Retry: first delay (s)",
    "retry_backoff_factor": "Retry: backoff factor",
    "retry_max_delay": "Retry: max delay (s)",
    "compensation_handler": "Compensation handler",
    "timer_duration": "Wait for (duration)",
    "timer_date_field": "Or until the date in (data path)",
    "signal_name": "Signal name",
    "correlation": "Correlation (data path)",
    "signal_timeout": "Timeout",
    "subprocess_code": "Subprocess (process code)",
}
HELP = {
    "outcomes": "buttons people choose from, comma-separated, e.g. APPROVED, REJECTED",
    "sla_warn": "e.g. 2d, 4h, 30m",
    "sla_duration": "e.g. 3d",
    "timer_duration": "e.g. 2d, 4h, 30m",
    "signal_timeout": "e.g. 7d (empty: wait forever)",
    "assignee": "e.g. data.manager",
    "handler": "the name of a handler registered with Waymark, e.g. demo.pay",
    "compensation_handler": "a registered handler name (empty: none)",
}
