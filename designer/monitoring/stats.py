"""Per-activity figures of a process version for the monitoring page.

Counts come from two GROUP BY queries. Durations (median and 95th
percentile, created → completed) are computed in Python over at most
``DURATION_SAMPLE`` of the most recently completed visits in the period, so
the page costs the same with a thousand or ten million workitems.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from engine.models import Incident, Version, WorkItem, WorkItemState
from engine.models.runtime import OPEN_STATES

DURATION_SAMPLE = 20_000


@dataclass
class ActivityStats:
    key: str
    visits: int = 0
    open: int = 0
    failures: int = 0
    warned: int = 0
    breached: int = 0
    median: timedelta | None = None
    p95: timedelta | None = None
    sampled: int = 0


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def version_stats(version: Version, since: datetime, until: datetime) -> dict[str, ActivityStats]:
    """Figures per activity key for the runs of ``version``; visits counted in [since, until)."""
    items = WorkItem.objects.filter(instance__version=version)
    in_period = items.filter(created_at__gte=since, created_at__lt=until)
    found: dict[str, ActivityStats] = {}

    def entry(key: str) -> ActivityStats:
        return found.setdefault(key, ActivityStats(key))

    for row in (
        in_period.order_by()
        .values("activity_key")
        .annotate(
            visits=Count("pk"),
            warned=Count("pk", filter=Q(sla_warned_at__isnull=False)),
            breached=Count("pk", filter=Q(sla_breached_at__isnull=False)),
        )
    ):
        stats = entry(row["activity_key"])
        stats.visits, stats.warned, stats.breached = row["visits"], row["warned"], row["breached"]
    # Open work is open work however old it is: not limited to the period.
    for row in (
        items.filter(state__in=OPEN_STATES)
        .order_by()
        .values("activity_key")
        .annotate(n=Count("pk"))
    ):
        entry(row["activity_key"]).open = row["n"]
    for row in (
        Incident.objects.filter(
            instance__version=version, created_at__gte=since, created_at__lt=until
        )
        .order_by()
        .values("activity_key")
        .annotate(n=Count("pk"))
    ):
        entry(row["activity_key"]).failures = row["n"]

    durations: dict[str, list[float]] = {}
    sample = (
        in_period.filter(state=WorkItemState.COMPLETED, completed_at__isnull=False)
        .order_by("-completed_at")
        .values_list("activity_key", "created_at", "completed_at")[:DURATION_SAMPLE]
    )
    for key, created, completed in sample:
        durations.setdefault(key, []).append(max(0.0, (completed - created).total_seconds()))
    for key, values in durations.items():
        values.sort()
        stats = entry(key)
        stats.sampled = len(values)
        stats.median = timedelta(seconds=percentile(values, 0.5))
        stats.p95 = timedelta(seconds=percentile(values, 0.95))
    return found


def short_duration(value: timedelta | None) -> str:
    """'850 ms', '42 s', '7 min', '3.5 h', '2.1 d' ("—" for none)."""
    if value is None:
        return "—"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
