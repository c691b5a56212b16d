"""Process monitoring: per activity, open work, durations, failures and SLA marks as a heatmap."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from designer.monitoring import graphs
from designer.monitoring.forms import PeriodForm
from designer.monitoring.stats import ActivityStats, short_duration, version_stats
from engine import permissions
from engine.models import Process, VersionStatus
from engine.tenancy import scoped

MEASURES = {
    "open": "Open workitems",
    "median": "Median duration",
    "failures": "Failures",
    "visits": "Visits",
}


def _measure(stats: ActivityStats, measure: str) -> float:
    if measure == "median":
        return stats.median.total_seconds() if stats.median else 0.0
    return float(getattr(stats, measure))


@login_required
@require_GET
def process_monitor(request: HttpRequest, code: str) -> HttpResponse:
    process = scoped(Process.objects.all(), request).filter(code=code).first()
    if process is None or not permissions.may_monitor(request.user):
        raise Http404("No such process.")
    versions = list(process.versions.exclude(status=VersionStatus.DRAFT).order_by("-number"))
    data = request.GET.copy()
    data.setdefault("days", "30")  # the select shows the period the figures are for
    form = PeriodForm(data if request.GET else None, initial={"days": 30})
    since, until, days = form.period()
    wanted = form.cleaned_data.get("version") if form.is_bound and form.is_valid() else None
    version = next((v for v in versions if v.number == wanted), None) or next(
        (v for v in versions if v.status == VersionStatus.PUBLISHED),
        versions[0] if versions else None,
    )
    measure = request.GET.get("measure") if request.GET.get("measure") in MEASURES else "open"
    rows, svg = [], ""
    if version is not None:
        stats = version_stats(version, since, until)
        activities = list(version.activities.only("key", "name", "kind"))
        highest = max((_measure(s, measure) for s in stats.values()), default=0.0)
        classes, badges = {}, {}
        for activity in activities:
            found = stats.get(activity.key) or ActivityStats(activity.key)
            level = graphs.heat_level(_measure(found, measure), highest)
            classes[activity.key] = [f"heat-{level}"]
            parts = []
            if found.open:
                parts.append(f"{found.open} open")
            if found.failures:
                parts.append(f"✖{found.failures}")
            if found.median is not None:
                parts.append(f"p50 {short_duration(found.median)}")
            if parts:
                badges[activity.key] = " · ".join(parts)
            rows.append(
                {
                    "activity": activity,
                    "stats": found,
                    "level": level,
                    "median": short_duration(found.median),
                    "p95": short_duration(found.p95),
                }
            )
        svg = graphs.draw(version, node_classes=classes, node_notes=badges)
    context = {
        "nav": "runs",
        "process": process,
        "versions": versions,
        "version": version,
        "form": form,
        "days": days,
        "measure": measure,
        "measures": MEASURES,
        "measure_label": MEASURES[measure],
        "rows": rows,
        "svg": svg,
        "levels": range(graphs.HEAT_LEVELS),
    }
    return render(request, "monitoring/process_monitor.html", context)
