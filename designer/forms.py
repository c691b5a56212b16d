"""Editor forms: the properties of an activity or a transition, adding, moving, connecting.

Forms only check and convert what people type; the services in
``engine.services.definitions`` do the writing (and check again). Which
fields an activity has, their labels and help, come from the table of kinds
(``engine.core.kinds``): a field is declared there once.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from engine.conf import condition_strategy
from engine.core.conditions import ConditionError, check
from engine.core.durations import DurationError, parse_duration
from engine.core.kinds import FIELDS, RETRY_FIELDS, FieldSpec, FieldType, kind_spec
from engine.core.triggers import offset_problem
from engine.models import Activity, ActivityKind
from engine.schemas import check_schema

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


def _form_field(spec: FieldSpec) -> forms.Field:
    """The form field of one activity field, typed by its declaration in the table of kinds."""
    if spec.type == FieldType.NAMES:
        field: forms.Field = ListField(required=False)
    elif spec.type == FieldType.JSON:
        field = JSONObjectField(required=False)
    elif spec.name in ("x", "y"):
        # Far-off positions would make Graphviz draw an enormous canvas.
        field = forms.FloatField(required=False, min_value=-LIMIT, max_value=LIMIT)
    else:
        # The stored column gives the type and the length limit.
        field = Activity._meta.get_field(spec.name).formfield()
        # Retry numbers always have a value; everything else may be left empty.
        field.required = spec.name in RETRY_FIELDS
    if spec.type == FieldType.LONG_TEXT:
        field.widget = forms.Textarea(attrs={"rows": 3})
    if spec.name == "name":
        field.required = True
        field.error_messages["required"] = "An activity needs a name."
    # The server says what is too long; the browser would cut a paste silently.
    field.widget.attrs.pop("maxlength", None)
    field.label = spec.label
    field.help_text = spec.help
    return field


class ActivityForm(forms.Form):
    """The properties of one activity; the fields are those its kind declares."""

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in kind_spec(kind).all_fields:
            self.fields[name] = _form_field(FIELDS[name])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.fields:
            if FIELDS[name].type == FieldType.DURATION and (data.get(name) or "").strip():
                try:
                    parse_duration(data[name].strip())
                except DurationError as exc:
                    self.add_error(name, str(exc))
            elif FIELDS[name].type == FieldType.OFFSET and (data.get(name) or "").strip():
                problem = offset_problem(data[name].strip())
                if problem:
                    self.add_error(name, problem)
            elif name in RETRY_FIELDS and (data.get(name) or 0) < 0:
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


def activity_form(activity: Activity, data=None) -> ActivityForm:
    """The properties form of ``activity``, filled with its values."""
    initial = {name: getattr(activity, name) for name in kind_spec(activity.kind).all_fields}
    return ActivityForm(data, kind=activity.kind, initial=initial, prefix="activity")


def transition_form(transition, activities, data=None) -> TransitionForm:
    """The properties form of ``transition``; ``activities`` are its possible ends."""
    initial = {
        "name": transition.name,
        "condition": transition.condition,
        "priority": transition.priority,
        "is_default": transition.is_default,
        "source": transition.source.key,
        "target": transition.target.key,
    }
    return TransitionForm(data, activities=activities, initial=initial, prefix="transition")


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
