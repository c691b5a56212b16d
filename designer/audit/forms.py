"""Forms of the audit area: the audit log's filters and the webhook endpoint form."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from engine.webhooks.endpoints import parse_event_types, parse_headers

KNOWN_ACTIONS = [
    "run.started",
    "run.completed",
    "run.failed",
    "run.cancelled",
    "run.suspended",
    "run.resumed",
    "run.data_changed",
    "run.start_deduplicated",
    "run.failed_at_end",
    "run.moved",
    "incident.resolved",
    "workitem.*",
    "workitem.created",
    "workitem.assigned",
    "workitem.claimed",
    "workitem.released",
    "workitem.reassigned",
    "workitem.delegated",
    "workitem.completed",
    "workitem.failed",
    "workitem.timed_out",
    "workitem.timer_moved",
    "workitem.timer_not_moved",
    "workitem.fallen_out",
    "workitem.retried",
    "workitem.compensated",
    "workitem.compensation_failed",
    "workitem.cancelled",
    "workitem.escalated",
    "sla.warned",
    "sla.breached",
    "signal.received",
    "signal.kept",
    "trigger.*",
    "trigger.fired",
    "trigger.skipped",
    "trigger.failed",
    "process.created",
    "process.paused",
    "process.resumed",
    "version.*",
    "version.published",
    "version.cloned",
    "version.imported",
    "version.retired",
    "version.rolled_back",
    "version.deleted",
    "webhook.*",
    "webhook.created",
    "webhook.changed",
    "webhook.enabled",
    "webhook.disabled",
    "webhook.deleted",
    "webhook.secret_revealed",
    "webhook.secret_rotated",
    "test.ping",
]


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        required=False,
        max_length=64,
        help_text="An action (run.completed) or a prefix (workitem.*).",
        widget=forms.TextInput(attrs={"list": "audit-actions", "placeholder": "any action"}),
    )
    process = forms.CharField(
        required=False,
        max_length=64,
        label="Process code",
        widget=forms.TextInput(attrs={"placeholder": "any process"}),
    )
    run = forms.IntegerField(
        required=False,
        min_value=1,
        label="Run id",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "any run"}),
        error_messages={"invalid": "A run id is a whole number, e.g. 42."},
    )
    actor = forms.CharField(
        required=False,
        max_length=150,
        label="Who",
        widget=forms.TextInput(attrs={"placeholder": "user name or system"}),
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "“To” must not be before “From”.")
        return data

    def apply(self, events):
        """``events`` narrowed by every filter that is valid (a bad one is shown, not applied)."""
        self.is_valid()  # (fills cleaned_data with the fields that are valid)
        data = getattr(self, "cleaned_data", {})
        action = (data.get("action") or "").strip()
        if action.endswith("*"):
            events = events.filter(action__startswith=action.rstrip("*"))
        elif action.endswith("."):
            events = events.filter(action__startswith=action)
        elif action:
            events = events.filter(action=action)
        if data.get("process"):
            events = events.filter(process__code=data["process"].strip())
        if data.get("run"):
            events = events.filter(instance_id=data["run"])
        if data.get("actor"):
            events = events.filter(actor_name=data["actor"].strip())
        zone = timezone.get_current_timezone()
        if data.get("date_from"):
            start = datetime.combine(data["date_from"], time())
            events = events.filter(created_at__gte=timezone.make_aware(start, zone))
        if data.get("date_to"):
            end = datetime.combine(data["date_to"] + timedelta(days=1), time())
            events = events.filter(created_at__lt=timezone.make_aware(end, zone))
        return events


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://example.com/waymark-events"}),
        help_text="Where events are POSTed. Private and loopback addresses are refused.",
    )
    description = forms.CharField(required=False, max_length=200)
    event_types = forms.CharField(
        required=False,
        label="Event types",
        widget=forms.TextInput(attrs={"placeholder": "all events"}),
        help_text="Comma-separated: run.completed, workitem.* … Empty means every event.",
    )
    headers = forms.CharField(
        required=False,
        label="Extra headers (JSON)",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '{"Authorization": "Bearer …"}'}),
        help_text="A JSON object sent with every delivery; cannot replace the signature headers.",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def clean_event_types(self):
        try:
            return parse_event_types(self.cleaned_data["event_types"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_headers(self):
        try:
            return parse_headers(self.cleaned_data["headers"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    @classmethod
    def for_endpoint(cls, endpoint) -> EndpointForm:
        return cls(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_types": ", ".join(endpoint.event_types or []),
                "headers": json.dumps(endpoint.headers, indent=2) if endpoint.headers else "",
                "enabled": endpoint.enabled,
            }
        )
