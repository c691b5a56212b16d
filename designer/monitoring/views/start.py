"""Starting a run from the browser: a form made from the process's input schema."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from designer.monitoring.schema_forms import SchemaForm
from engine import permissions
from engine.models import Process, ProcessInstance, VersionStatus
from engine.services import runtime
from engine.tenancy import scoped


class StartForm(forms.Form):
    business_key = forms.CharField(
        required=False,
        max_length=200,
        label="Business key",
        help_text="Optional: your reference for this run, e.g. an order number.",
    )


def _startable(request: HttpRequest):
    return (
        scoped(Process.objects.all(), request)
        .filter(versions__status=VersionStatus.PUBLISHED)
        .order_by("title", "code")
    )


@login_required
@require_GET
def run_start_choose(request: HttpRequest) -> HttpResponse:
    return render(
        request, "monitoring/run_start.html", {"nav": "runs", "processes": _startable(request)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_start(request: HttpRequest, code: str) -> HttpResponse:
    process = scoped(Process.objects.all(), request).filter(code=code).first()
    if process is None:
        raise Http404("No such process.")
    version = process.published_version()
    schema = process.input_schema or {}
    status = 200
    if request.method == "POST":
        data_form = SchemaForm(schema, request.POST, prefix="data")
        start_form = StartForm(request.POST)
        if data_form.is_valid() and start_form.is_valid():
            try:
                started = runtime.start(
                    process.code,
                    data_form.data_object(),
                    business_key=start_form.cleaned_data["business_key"],
                    user=request.user,
                )
            except runtime.InvalidData as exc:
                data_form.add_engine_errors(exc.errors)
                status = exc.status  # 400, or 413 for run data over the size cap
            except (runtime.NotPublished, runtime.UnknownProcess) as exc:
                messages.error(request, exc.message)
                status = 409
            else:
                if started.created:
                    run = started.run
                    messages.success(request, f"Run {run.pk} of “{process.title}” started.")
                    return redirect("monitoring:run_detail", pk=run.pk)
                if _may_open(request, started.run):
                    return _show_existing(request, process, started.run)
                messages.error(request, _taken_text(process))
                status = 409
        else:
            status = 400
    else:
        data_form = SchemaForm(schema, prefix="data")
        start_form = StartForm()
    context = {
        "nav": "runs",
        "process": process,
        "version": version,
        "data_form": data_form,
        "start_form": start_form,
    }
    return render(request, "monitoring/run_start_form.html", context, status=status)


def _may_open(request: HttpRequest, run: ProcessInstance) -> bool:
    return permissions.find_run(request.user, run.pk, request) is not None


def _show_existing(request: HttpRequest, process: Process, run: ProcessInstance) -> HttpResponse:
    """A singleton start matched an active run: no second run, that one is shown."""
    messages.info(
        request,
        f"No new run: run {run.pk} of “{process.title}” is active with the same "
        f"{process.singleton_key} ({run.singleton_value}), so it is shown instead.",
    )
    return redirect("monitoring:run_detail", pk=run.pk)


def _taken_text(process: Process) -> str:
    # Someone else's run: its number and data are not the starter's to see.
    return (
        f"No new run: an active run of “{process.title}” already holds this "
        f"{process.singleton_key}, and you may not open it."
    )
