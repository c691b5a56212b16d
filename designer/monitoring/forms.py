"""Filter forms of the runs list, the inbox and the monitoring page.

A filter that does not parse is shown with its error and ignored; the
rest of the filters still apply.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from engine.models import RunState

RUN_SORTS = [("newest", "Newest first"), ("oldest", "Oldest first")]
INBOX_SORTS = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("due", "Due soonest"),
]
DUE_CHOICES = [
    ("", "Any time"),
    ("overdue", "Overdue (SLA breached)"),
    ("soon", "SLA due within a day"),
]


def start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _attrs(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return "".join(
        f" {conditional_escape(name)}"
        + ("" if value is True else f'="{conditional_escape(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


class _Drawn:
    """A widget drawn in Python, with the markup of Django's own widget templates.

    The filter forms are drawn on every request of the inbox and the runs list;
    through the template engine (a template per widget, an ``{% include %}`` per
    option and per attribute list) they were about a fifth of a page's Python
    (issue 16). The context still comes from Django's ``get_context`` (values,
    ids, which option is selected), only the drawing is done here;
    tests/designer/test_filter_forms.py checks the markup against Django's
    templates.
    """

    def _render(
        self, template_name: str, context: dict[str, Any], renderer: object = None
    ) -> SafeString:
        widget = context["widget"]
        if "optgroups" in widget:
            return mark_safe(_select(widget))
        value = widget["value"]
        shown = "" if value is None else f' value="{conditional_escape(value)}"'
        return mark_safe(
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
        )


def _select(widget: dict[str, Any]) -> str:
    # As django/forms/widgets/select.html and select_option.html (whose closing
    # newline is kept, hence a blank line after each option).
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(
                f'\n  <optgroup label="{conditional_escape(formats.localize(group_name))}">'
            )
        for option in options:
            parts.append(
                f'\n  <option value="{conditional_escape(option["value"])}"'
                f"{_attrs(option['attrs'])}>"
                f"{conditional_escape(formats.localize(option['label']))}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class Select(_Drawn, forms.Select):
    pass


class TextInput(_Drawn, forms.TextInput):
    pass


class NumberInput(_Drawn, forms.NumberInput):
    pass


class DateInput(_Drawn, forms.DateInput):
    pass


class RunFilterForm(forms.Form):
    process = forms.CharField(required=False, max_length=64, label="Process")
    version = forms.IntegerField(required=False, min_value=1, label="Version", widget=NumberInput)
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Any state"), *RunState.choices],
        label="State",
        widget=Select,
    )
    started_from = forms.DateField(
        required=False, label="Started from", widget=DateInput(attrs={"type": "date"})
    )
    started_to = forms.DateField(
        required=False, label="Started until", widget=DateInput(attrs={"type": "date"})
    )
    business_key = forms.CharField(
        required=False, max_length=200, label="Business key", widget=TextInput
    )
    trigger = forms.CharField(required=False, max_length=64, label="Trigger")
    sort = forms.ChoiceField(required=False, choices=RUN_SORTS, label="Sort", widget=Select)

    def __init__(self, *args, processes=(), triggers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].widget = Select(
            choices=[("", "All processes"), *[(p.code, p.title) for p in processes]]
        )
        # A trigger key typed in the address that no version has still filters (to nothing).
        typed = self.data.get("trigger", "") if self.is_bound else ""
        keys = [*triggers, *([typed] if typed and typed not in triggers else [])]
        self.fields["trigger"].widget = Select(
            choices=[("", "Any trigger"), *[(k, k) for k in keys]]
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and end < start:
            self.add_error("started_to", "The end of the range is before its start.")
        if data.get("version") and not data.get("process"):
            self.add_error("version", "Choose a process to filter by its version.")
        return data

    def values(self) -> dict:
        """The filters that parsed, valid or not overall (bad ones are left out)."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search", widget=TextInput)
    process = forms.CharField(required=False, max_length=64, label="Process")
    due = forms.ChoiceField(required=False, choices=DUE_CHOICES, label="Due", widget=Select)
    sort = forms.ChoiceField(required=False, choices=INBOX_SORTS, label="Sort", widget=Select)

    def __init__(self, *args, processes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].widget = Select(
            choices=[("", "All processes"), *[(p.code, p.title) for p in processes]]
        )

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}


class PeriodForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=1, label="Version", widget=NumberInput)
    days = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=30,
        choices=[(1, "Last day"), (7, "Last 7 days"), (30, "Last 30 days"), (365, "Last year")],
        label="Period",
        widget=Select,
    )

    def period(self) -> tuple[datetime, datetime, int]:
        self.is_valid()
        days = getattr(self, "cleaned_data", {}).get("days") or 30
        now = timezone.now()
        return now - timedelta(days=days), now + timedelta(seconds=1), days
