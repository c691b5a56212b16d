"""The rows of the inbox and the runs list as plain dicts of the text they show.

A template reading a model row pays, per ``{{ run.process.title }}``, a failed
``run["process"]`` before the attribute (an exception per step), per
``{% url %}`` a reverse, per ``|date`` Django's date formatter, per
``get_state_display`` a dict of the choices built again, and per attribute a
row does not have (``run.error`` outside the trigger history) a ``dir()`` of
the model. Thirty rows of that were the largest part of a list page's Python
(issue 16). Here each row is read once, in Python, into the strings the page
prints; the templates only place them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from designer.monitoring.badges import workitem_badges
from engine.models import Process, ProcessInstance, RunState, Version, WorkItem

STATE_LABELS = {value: str(label) for value, label in RunState.choices}
_MARK = 7_654_321_098_765  # a pk no URL pattern could mistake for anything but the pk


def pk_url(name: str) -> Callable[[object], str]:
    """``reverse(name, args=[pk])`` for many pks at the cost of one reverse.

    The pk is an ``<int:pk>`` path argument, drawn as its decimal digits, so the
    URL of any pk is the URL of a marker pk with the marker replaced.
    """
    head, _, tail = reverse(name, args=[_MARK]).partition(str(_MARK))
    return lambda pk: f"{head}{pk}{tail}"


def local_text(moment: datetime | None, *, seconds: bool = True) -> str:
    """``moment|date:"Y-m-d H:i:s"`` (or ``"Y-m-d H:i"``): in the current time zone, "" for none."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}"
    )
    return f"{text}:{moment.second:02d}" if seconds else text


def run_rows(runs: list[ProcessInstance]) -> list[dict[str, object]]:
    """The runs list's rows (``run.error``: the trigger history's, when attached).

    The process titles and version numbers of the page's runs come by a query
    each, read as tuples (a prefetch of models cost more Python than the rows).
    """
    detail = pk_url("monitoring:run_detail")
    titles, numbers = {}, {}
    if runs:
        titles = dict(
            Process.objects.filter(pk__in={run.process_id for run in runs}).values_list(
                "pk", "title"
            )
        )
        numbers = dict(
            Version.objects.filter(pk__in={run.version_id for run in runs}).values_list(
                "pk", "number"
            )
        )
    rows: list[dict[str, object]] = []
    for run in runs:
        who = run.started_by
        rows.append(
            {
                "pk": str(run.pk),
                "url": detail(run.pk),
                "process": titles[run.process_id],
                "version": str(numbers[run.version_id]),
                "business_key": run.business_key or "—",
                "trigger_key": run.trigger_key,
                "state": run.state,
                "state_label": STATE_LABELS.get(run.state, run.state),
                "error": getattr(run, "error", ""),
                "started": local_text(run.started_at),
                "ended": local_text(run.ended_at) or "—",
                "started_by": (who.get_username() if who is not None else "") or "system",
            }
        )
    return rows


def workitem_rows(
    items: Iterable[WorkItem], *, runs: dict[int, tuple[str, str]], done: bool, now: datetime
) -> list[dict[str, object]]:
    """The inbox's rows: when created (completed, on Done), badges, the run's process
    and key (``runs``: run id -> (business key, process title))."""
    detail = pk_url("monitoring:workitem_detail")
    rows: list[dict[str, object]] = []
    for item in items:
        business_key, process = runs[item.instance_id]
        rows.append(
            {
                "pk": str(item.pk),
                "url": detail(item.pk),
                "name": item.name or item.activity_key,
                "process": process,
                "business_key": business_key or "—",
                "when": local_text(item.completed_at if done else item.created_at, seconds=False)
                or "—",
                "outcome": item.outcome,
                "badges": workitem_badges(item, now),
            }
        )
    return rows
