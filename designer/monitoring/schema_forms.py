"""Django forms made from a JSON Schema: the start form of a process, the form of a task.

Each top-level property becomes a field a person can fill in: text (a text
area when the schema says ``"x-waymark-widget": "textarea"`` or allows long
text), number, whole number, date, date and time, a choice from ``enum`` and a
checkbox; ``title``, ``description``, ``default``, ``minimum``/``maximum``
and ``minLength``/``maxLength`` give the label, the help text, the starting
value and the limits (the limits also as input attributes). Django checks
only what it needs to read a value (a date that is no date, a missing
required value), next to the field; the engine then validates the
data against the full schema (``engine.schemas``) and its errors are put
back next to the fields (``add_engine_errors``), so nothing typed is lost.
Properties of other types (objects, arrays) become a JSON text field.

The fields come in the order of ``"x-waymark-order": ["name", ...]`` when
the schema has one (the form designer writes it: PostgreSQL does not keep
the order of an object's keys), then in the order stored. The same module
reads the labels of a human task's outcome buttons, kept in its form schema
as ``"x-waymark-outcome-labels": {"APPROVED": "Approve"}``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.utils import timezone

MAX_FIELDS = 100
LONG_TEXT = 200  # a maxLength above this is drawn as a text area
WIDGET_HINT = "x-waymark-widget"  # "textarea": long text (JSON Schema has no word for it)
OUTCOME_LABELS = "x-waymark-outcome-labels"  # {"APPROVED": "Approve", ...}
# The order of the fields, as designed: PostgreSQL (jsonb) does not keep an object's key order.
FIELD_ORDER = "x-waymark-order"


class JSONField(forms.CharField):
    """A JSON value typed as text (objects and arrays the generator cannot draw)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc.msg}.") from exc

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, indent=2)
        return value


class LocalDateTimeField(forms.DateTimeField):
    """A date and time picked in the browser (``datetime-local``), stored with its offset."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def prepare_value(self, value):
        # Stored data holds ISO text ("2026-05-01T09:30:00+00:00"): show it in local time.
        if isinstance(value, str) and value:
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                return value
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return super().prepare_value(value)


def _kind(spec: dict) -> Any:
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def _number(spec: dict, keyword: str) -> Any:
    value = spec.get(keyword)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _choice_field(spec: dict, common: dict) -> forms.Field:
    choices = [(json.dumps(v), str(v)) for v in spec["enum"]]
    if not common["required"]:
        choices = [("", "—")] + choices
    field = forms.TypedChoiceField(choices=choices, coerce=json.loads, empty_value=None, **common)
    if "default" in spec:
        field.initial = json.dumps(spec["default"])
    return field


def _text_field(spec: dict, common: dict) -> forms.Field:
    if spec.get("format") == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.get("format") == "date-time":
        return LocalDateTimeField(**common)
    max_length = _number(spec, "maxLength")
    long = spec.get(WIDGET_HINT) == "textarea" or (max_length or 0) > LONG_TEXT
    widget = forms.Textarea(attrs={"rows": 4}) if long else forms.TextInput()
    _limits(widget, spec, minlength="minLength", maxlength="maxLength")
    return forms.CharField(widget=widget, strip=True, **common)


def _limits(widget: forms.Widget, spec: dict, **attrs: str) -> None:
    """The schema's limits as input attributes (a hint: the engine does the checking)."""
    for attr, keyword in attrs.items():
        value = _number(spec, keyword)
        if value is not None:
            widget.attrs[attr] = str(value)


def _number_field(spec: dict, common: dict, kind: str) -> forms.Field:
    # "any": a step of 1 would refuse 12.5 in the browser.
    widget = forms.NumberInput(attrs={} if kind == "integer" else {"step": "any"})
    _limits(widget, spec, min="minimum", max="maximum")
    if kind == "integer":
        return forms.IntegerField(widget=widget, **common)
    return forms.FloatField(widget=widget, **common)


def _field_for(name: str, spec: Any, required: bool) -> forms.Field:
    spec = spec if isinstance(spec, dict) else {}
    label = str(spec.get("title") or name)
    help_text = str(spec.get("description") or "")
    kind = _kind(spec)
    common = {"label": label, "help_text": help_text, "required": required}
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return _choice_field(spec, common)
    if kind == "string":
        field = _text_field(spec, common)
    elif kind in ("integer", "number"):
        field = _number_field(spec, common, kind)
    elif kind == "boolean":
        # An unchecked box is a plain "no": never required.
        field = forms.BooleanField(label=label, help_text=help_text, required=False)
    else:
        field = JSONField(**common)
    if "default" in spec:
        field.initial = spec["default"]
    return field


class SchemaForm(forms.Form):
    """A form whose fields are the top-level properties of a JSON Schema."""

    def __init__(self, schema: dict | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema if isinstance(schema, dict) else {}
        properties = self.schema.get("properties")
        required = self.schema.get("required")
        required = set(required) if isinstance(required, list) else set()
        self.free_form = not isinstance(properties, dict) or not properties
        if self.free_form:
            # No properties to draw: the data is typed as one JSON object.
            self.fields["__all_data__"] = JSONField(
                label="Data (JSON object)",
                required=False,
                help_text='For example {"amount": 12}. Leave empty for none.',
            )
            return
        for name in ordered_names(self.schema)[:MAX_FIELDS]:
            self.fields[name] = _field_for(name, properties[name], name in required)

    def data_object(self) -> Any:
        """The cleaned values as the JSON object to hand to the engine."""
        if self.free_form:
            value = self.cleaned_data.get("__all_data__")
            return {} if value is None else value
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.BooleanField):
                out[name] = bool(value)
            elif value is None or value == "":
                continue
            elif isinstance(value, datetime.date):
                # Dates and date-times as ISO text (a date-time keeps its offset).
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out

    def add_engine_errors(self, errors: list[dict]) -> None:
        """Put the engine's ``[{"path", "message"}]`` next to the fields they name."""
        for error in errors:
            path = str(error.get("path") or "")
            message = str(error.get("message") or "invalid")
            top = path.split(".", 1)[0]
            if top and top in self.fields:
                self.add_error(top, message if top == path else f"{path}: {message}")
            elif path:
                self.add_error(None, f"{path}: {message}")
            else:
                self.add_error(None, message)


def ordered_names(schema: dict) -> list[str]:
    """The property names in the designed order (``x-waymark-order``), then the rest as stored."""
    names = list(schema.get("properties") or {})
    order = schema.get(FIELD_ORDER)
    order = order if isinstance(order, list) else []
    first = list(dict.fromkeys(name for name in order if name in names))
    return first + [name for name in names if name not in first]


def outcome_buttons(outcomes: Any, form_schema: Any) -> list[dict[str, str]]:
    """The outcome buttons of a task: ``{"code", "label"}`` each, the label from the schema.

    An outcome without a label shows its code alone (``label`` is then empty).
    """
    labels = form_schema.get(OUTCOME_LABELS) if isinstance(form_schema, dict) else None
    labels = labels if isinstance(labels, dict) else {}
    buttons = []
    for code in outcomes or ():
        label = labels.get(code)
        label = label.strip() if isinstance(label, str) else ""
        buttons.append({"code": str(code), "label": label if label != code else ""})
    return buttons
