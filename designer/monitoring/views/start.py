"""Starting a run from the browser: a form made from the process's input schema."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from designer.monitoring.schema_forms import SchemaForm
from engine.models import Process, VersionStatus
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
                run = runtime.start_run(
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
                messages.success(request, f"Run {run.pk} of “{process.title}” started.")
                return redirect("monitoring:run_detail", pk=run.pk)
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
