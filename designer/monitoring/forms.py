"""Filter forms of the runs list, the inbox and the monitoring page.

A filter that does not parse is shown with its error and ignored; the
rest of the filters still apply.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

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


class RunFilterForm(forms.Form):
    process = forms.CharField(required=False, max_length=64, label="Process")
    version = forms.IntegerField(required=False, min_value=1, label="Version")
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *RunState.choices], label="State"
    )
    started_from = forms.DateField(
        required=False, label="Started from", widget=forms.DateInput(attrs={"type": "date"})
    )
    started_to = forms.DateField(
        required=False, label="Started until", widget=forms.DateInput(attrs={"type": "date"})
    )
    business_key = forms.CharField(required=False, max_length=200, label="Business key")
    trigger = forms.CharField(required=False, max_length=64, label="Trigger")
    sort = forms.ChoiceField(required=False, choices=RUN_SORTS, label="Sort")

    def __init__(self, *args, processes=(), triggers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].widget = forms.Select(
            choices=[("", "All processes"), *[(p.code, p.title) for p in processes]]
        )
        # A trigger key typed in the address that no version has still filters (to nothing).
        typed = self.data.get("trigger", "") if self.is_bound else ""
        keys = [*triggers, *([typed] if typed and typed not in triggers else [])]
        self.fields["trigger"].widget = forms.Select(
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
    q = forms.CharField(required=False, max_length=200, label="Search")
    process = forms.CharField(required=False, max_length=64, label="Process")
    due = forms.ChoiceField(required=False, choices=DUE_CHOICES, label="Due")
    sort = forms.ChoiceField(required=False, choices=INBOX_SORTS, label="Sort")

    def __init__(self, *args, processes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].widget = forms.Select(
            choices=[("", "All processes"), *[(p.code, p.title) for p in processes]]
        )

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}


class PeriodForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=1, label="Version")
    days = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=30,
        choices=[(1, "Last day"), (7, "Last 7 days"), (30, "Last 30 days"), (365, "Last year")],
        label="Period",
    )

    def period(self) -> tuple[datetime, datetime, int]:
        self.is_valid()
        days = getattr(self, "cleaned_data", {}).get("days") or 30
        now = timezone.now()
        return now - timedelta(days=days), now + timedelta(seconds=1), days
