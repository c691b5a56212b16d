"""What the editor's Triggers panel shows: the list, or the form for adding or editing one.

The panel is part of the ``#editor`` fragment (templates/designer/_triggers.html),
so a saved trigger and its start marker on the canvas always agree. Its state
(``TriggerPanel``) is given by the trigger views; any other change shows the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from designer import trigger_words as words
from designer.trigger_forms import KIND_HELP, TriggerForm
from engine.core import triggers as core
from engine.models import ScheduleFire, TriggerKind, Version

KEY = "__KEY__"


@dataclass
class TriggerPanel:
    """``list``; ``choose`` (a kind to add); ``add`` or ``edit`` with the form."""

    mode: str = "list"
    form: TriggerForm | None = None
    key: str = ""  # the trigger being edited


def trigger_urls(version: Version) -> dict[str, str]:
    args = (version.process.code, version.number)
    urls = {
        "trigger_add": reverse("designer:trigger_add", args=args),
        "trigger_preview": reverse("designer:trigger_preview", args=args),
    }
    for name in ("trigger", "trigger_delete"):
        urls[name] = reverse(f"designer:{name}", args=(*args, KEY))
    return urls


def _rows(version: Version, urls: dict[str, str]) -> list[dict]:
    labels = dict(TriggerKind.choices)
    due = dict(
        ScheduleFire.objects.filter(trigger__version=version).values_list("trigger_id", "due_at")
    )
    rows = []
    for trigger in version.triggers.order_by("key"):
        next_fire = due.get(trigger.pk)
        rows.append(
            {
                "trigger": trigger,
                "kind_label": labels.get(trigger.kind, trigger.kind),
                "summary": words.summary(trigger),
                "next_fire": words.time_label(next_fire, trigger.timezone) if next_fire else "",
                "url": urls["trigger"].replace(KEY, trigger.key),
                "delete_url": urls["trigger_delete"].replace(KEY, trigger.key),
            }
        )
    return rows


def preview_context(form: TriggerForm | None) -> dict:
    """The words under a schedule's cron or a date_event's offset, from the form's values."""
    if form is None:
        return {}
    values = {name: form[name].value() for name in form.fields}
    return preview_for(form.kind, values)


def preview_for(kind: str, values: dict) -> dict:
    if kind == "schedule":
        preview = words.schedule_preview(
            str(values.get("cron") or ""), str(values.get("timezone") or "UTC"), timezone.now()
        )
        return {"preview_kind": kind, "schedule": preview}
    if kind == "date_event":
        offset = str(values.get("offset") or "").strip()
        problem = core.offset_problem(offset) or ""
        text = "" if problem else words.offset_words(offset, str(values.get("date_field") or ""))
        return {"preview_kind": kind, "offset_text": text, "offset_problem": problem}
    return {"preview_kind": kind}


def _live_preview(form: TriggerForm, url: str) -> None:
    """Typing in these fields refreshes the words and times under them (htmx)."""
    for name in ("cron", "timezone", "offset", "date_field"):
        if name in form.fields:
            form.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#trigger-preview",
                    "hx-swap": "outerHTML",
                    "hx-include": "closest form",
                }
            )


def triggers_context(version: Version, *, editable: bool, panel: TriggerPanel | None) -> dict:
    """The Triggers panel: every trigger in words, and the form when one is open."""
    panel = panel or TriggerPanel()
    urls = trigger_urls(version)
    if panel.form is not None and not editable:
        for form_field in panel.form.fields.values():
            form_field.disabled = True
    if panel.form is not None and editable:
        _live_preview(panel.form, urls["trigger_preview"])
    kinds = [
        {
            "value": value,
            "label": label,
            "help": KIND_HELP.get(value, ""),
            "problem": core.kind_problem(value) or "",
        }
        for value, label in TriggerKind.choices
    ]
    return {
        "trigger_rows": _rows(version, urls),
        "trigger_panel": panel,
        "trigger_kinds": kinds,
        "trigger_urls": urls,
        "trigger_kind_label": dict(TriggerKind.choices).get(panel.form.kind, "")
        if panel.form
        else "",
        **preview_context(panel.form),
    }
