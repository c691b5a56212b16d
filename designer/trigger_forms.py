"""The editor's trigger form: the fields of one kind, shaped for the service.

The form only turns what people type into values (a JSON object, a list of
names); every rule (cron, zone, model, fields, condition, offset) is checked
by ``engine.services.triggers.check_trigger``, the same check as the file
format and the API, and its ``DefinitionError.field`` puts the message next to
the field it names.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from designer.forms import JSONObjectField, ListField
from engine.core.triggers import KIND_FIELDS, MODEL_EVENTS
from engine.models import Concurrency, Trigger, TriggerKind
from engine.models.definitions import KEY_PATTERN

PREFIX = "trigger"
KIND_HELP = {
    "schedule": "Starts a run on a cron, in a time zone.",
    "model_event": "Starts a run when a record of a model is created, updated or deleted.",
    "date_event": "Starts a run at a date on a record, plus or minus an offset.",
    "signal": "Starts a run when a signal arrives that no run is waiting for.",
}


class DataField(JSONObjectField):
    """The started run's data: a JSON object (``record.<field>`` values come from the record)."""

    def to_python(self, value: Any) -> dict:
        text = (value or "").strip()
        if not text:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc
        if not isinstance(data, dict):
            raise forms.ValidationError('The data must be a JSON object, e.g. {"mode": "nightly"}.')
        return data


class TriggerForm(forms.Form):
    key = forms.RegexField(
        KEY_PATTERN,
        max_length=64,
        label="Key",
        help_text="Names the trigger in the file, the audit log and the runs list.",
        error_messages={"invalid": "Start with a letter or _; letters, digits, _ . - only."},
    )
    kind = forms.ChoiceField(choices=TriggerKind.choices, widget=forms.HiddenInput)
    cron = forms.CharField(
        required=False,
        max_length=200,
        label="Cron",
        help_text="Five fields: minute hour day-of-month month day-of-week, e.g. 30 7 * * *",
    )
    timezone = forms.CharField(
        required=False,
        max_length=64,
        initial="UTC",
        label="Time zone",
        help_text="An IANA name such as Asia/Tehran; the cron is read in this zone.",
    )
    model = forms.CharField(
        required=False,
        max_length=200,
        label="Model",
        help_text="A model opened to triggers (WAYMARK_TRIGGER_MODELS), e.g. auth.User",
    )
    on = forms.MultipleChoiceField(
        required=False,
        choices=[(e, e) for e in MODEL_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        label="On",
    )
    watch = ListField(
        required=False,
        label="Watch",
        help_text="Comma-separated fields: an update fires only when one of them changes.",
    )
    date_field = forms.CharField(
        required=False, max_length=100, label="Date field", help_text="A date or date-time field"
    )
    offset = forms.CharField(
        required=False,
        max_length=32,
        label="Offset",
        help_text="-1h is an hour before the date, 2d two days after; empty: at the date.",
    )
    signal = forms.CharField(required=False, max_length=200, label="Signal name")
    condition = forms.CharField(
        required=False,
        label="Condition",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="Over the saved record, e.g. record.name == 'vip'; empty: always.",
    )
    concurrency = forms.ChoiceField(
        choices=Concurrency.choices, initial=Concurrency.ALLOW, label="While a run is active"
    )
    data = DataField(
        required=False,
        label="Run data",
        help_text='A JSON object, e.g. {"mode": "nightly"}.',
    )

    def __init__(self, kind: str, *args, trigger: Trigger | None = None, **kwargs):
        if trigger is not None:
            kwargs.setdefault("initial", _initial(trigger))
        super().__init__(*args, prefix=PREFIX, **kwargs)
        self.kind = kind
        self.trigger = trigger
        own = set(KIND_FIELDS.get(kind, ())) | {"key", "kind"}
        for name in list(self.fields):
            if name not in own:
                del self.fields[name]
        self.fields["kind"].initial = kind
        if kind in ("model_event", "date_event"):
            self.fields["data"].help_text = (
                'A JSON object; a value "record.<field>" is read from the record, '
                'e.g. {"user_id": "record.pk"}.'
            )
        elif kind == "signal":
            self.fields["data"].help_text = "A JSON object; the signal's payload is merged over it."
        if trigger is not None:  # a trigger keeps its key and its kind
            self.fields["key"].disabled = True

    def clean_timezone(self) -> str:
        return (self.cleaned_data.get("timezone") or "").strip() or "UTC"  # the default zone

    def changes(self) -> dict[str, Any]:
        """The kind's fields as the service takes them (key and kind left out)."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("key", "kind")}

    def put_error(self, field: str, message: str) -> None:
        """A service refusal, next to the field it names (above the form otherwise)."""
        self.add_error(field if field in self.fields and field != "kind" else None, message)


def _initial(trigger: Trigger) -> dict[str, Any]:
    names = ("key", "kind", *KIND_FIELDS.get(trigger.kind, ()))
    return {name: getattr(trigger, name) for name in names}
