"""Django forms made from a JSON Schema: the start form of a process, the form of a task.

Only the shape a person can fill in is generated (string, number, integer,
boolean, enum; titles, descriptions, required marks); the engine validates
the data against the full schema and its errors are put back next to the
fields (``add_engine_errors``), so nothing a person typed is lost.
Properties of other types (objects, arrays) become a JSON text field.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

MAX_FIELDS = 100


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


def _field_for(name: str, spec: Any, required: bool) -> forms.Field:
    spec = spec if isinstance(spec, dict) else {}
    label = str(spec.get("title") or name)
    help_text = str(spec.get("description") or "")
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    common = {"label": label, "help_text": help_text, "required": required}
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        values = spec["enum"]
        choices = [(json.dumps(v), str(v)) for v in values]
        if not required:
            choices = [("", "—")] + choices
        return forms.TypedChoiceField(
            choices=choices, coerce=json.loads, empty_value=None, **common
        )
    if kind == "string":
        widget = forms.Textarea(attrs={"rows": 3}) if spec.get("maxLength", 0) > 200 else None
        if spec.get("format") == "date":
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        return forms.CharField(widget=widget, strip=True, **common)
    if kind == "integer":
        return forms.IntegerField(**common)
    if kind == "number":
        return forms.FloatField(**common)
    if kind == "boolean":
        # An unchecked box is a plain "no": never required.
        return forms.BooleanField(label=label, help_text=help_text, required=False)
    return JSONField(**common)


class SchemaForm(forms.Form):
    """A form whose fields are the top-level properties of a JSON Schema."""

    def __init__(self, schema: dict | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema if isinstance(schema, dict) else {}
        properties = self.schema.get("properties")
        required = set(self.schema.get("required") or [])
        self.free_form = not isinstance(properties, dict) or not properties
        if self.free_form:
            # No properties to draw: the data is typed as one JSON object.
            self.fields["__all_data__"] = JSONField(
                label="Data (JSON object)",
                required=False,
                help_text='For example {"amount": 12}. Leave empty for none.',
            )
            return
        for name, spec in list(properties.items())[:MAX_FIELDS]:
            self.fields[name] = _field_for(name, spec, name in required)

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
            elif isinstance(field, forms.DateField):
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
