"""The process library: search, create a process, import a definition file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designer.versions.access import DESIGN, PUBLISH, editor_url, processes_for, require
from designer.versions.forms import ImportForm, ProcessForm
from engine import bpmn
from engine.definition_format import DefinitionFileError, default_code, parse_text
from engine.models import Process, Version
from engine.services import definitions
from engine.tenancy import tenant_id_for

TEMPLATE = "versions/library.html"
PAGE_SIZE = 50


def _page(request: HttpRequest):
    query = request.GET.get("q", "").strip()
    processes = processes_for(request).prefetch_related(
        Prefetch("versions", queryset=Version.objects.order_by("-number"))
    )
    if query:
        processes = processes.filter(
            Q(code__icontains=query) | Q(title__icontains=query) | Q(description__icontains=query)
        )
    page = Paginator(processes.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    for process in page:
        versions = list(process.versions.all())
        process.version_list = versions
        process.published = next((v for v in versions if v.status == "published"), None)
        process.newest = versions[0] if versions else None
    return query, page


def _render(request: HttpRequest, *, create=None, upload=None, status=200, open_panel=""):
    query, page = _page(request)
    context = {
        "nav": "processes",
        "query": query,
        "page": page,
        "create_form": create or ProcessForm(),
        "import_form": upload or ImportForm(),
        "import_problems": getattr(upload, "problems", []),
        "open_panel": open_panel,
    }
    return render(request, TEMPLATE, context, status=status)


@login_required
@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.htmx.target == "process-results":
        query, page = _page(request)
        return render(
            request, f"{TEMPLATE}#results", {"query": query, "page": page, "nav": "processes"}
        )
    return _render(request)


@login_required
@require_http_methods(["GET", "POST"])
def process_create(request: HttpRequest) -> HttpResponse:
    require(request, DESIGN)
    if request.method != "POST":
        return _render(request, open_panel="create")
    form = ProcessForm(request.POST)
    if form.is_valid():
        try:
            process = definitions.create_process(
                form.cleaned_data["code"],
                form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                singleton_key=form.cleaned_data["singleton_key"],
                user=request.user,
                tenant_id=tenant_id_for(request),
            )
        except definitions.DefinitionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Created {process.title} with draft v1.")
            return redirect(editor_url(process.versions.get(number=1)))
    return _render(request, create=form, status=400, open_panel="create")


@login_required
@require_POST
def process_import(request: HttpRequest) -> HttpResponse:
    require(request, DESIGN)
    form = ImportForm(request.POST, request.FILES)
    form.problems = []
    if form.is_valid():
        if form.cleaned_data["publish"] and not request.user.has_perm(PUBLISH):
            form.add_error("publish", "You may import drafts but not publish them.")
        else:
            version = _import(request, form)
            if version is not None:
                verb = "published" if version.status == "published" else "imported as a draft"
                messages.success(request, f"{version.process.title}: v{version.number} {verb}.")
                return redirect("versions:list", version.process.code)
    return _render(request, upload=form, status=400, open_panel="import")


def _import(request: HttpRequest, form: ImportForm) -> Version | None:
    """Import the form's definition; on failure put every problem on the form."""
    text, filename = form.source()
    where = {"user": request.user, "publish_it": form.cleaned_data["publish"]}
    where["tenant_id"] = tenant_id_for(request)
    try:
        bpmn_file = bpmn.read(text) if bpmn.looks_like_bpmn(text, filename) else None
        data = bpmn_file.definition if bpmn_file else parse_text(text, filename=filename)
        default_code(data)  # a file without a code: the slug of its title
        code = (data.get("process") or {}).get("code") if isinstance(data, dict) else None
        if isinstance(code, str) and _code_taken_elsewhere(request, code):
            # Codes are unique across tenants: the answer every door gives, not by whom.
            raise DefinitionFileError(
                [{"loc": "process.code", "message": definitions.CODE_UNAVAILABLE}]
            )
        if bpmn_file is None:
            return definitions.import_definition(data, **where)
        version, skipped = bpmn.import_bpmn(bpmn_file, **where)
        for item in skipped:
            where_from = f"{item.element_id} ({item.element_type})"
            messages.warning(request, f"Not carried over: {where_from}: {item.reason}")
        return version
    except DefinitionFileError as exc:
        form.problems = exc.problems
    except definitions.ValidationFailed as exc:
        form.problems = [
            {"loc": p.key or "", "message": f"{p.code} {p.message}"}
            for p in exc.problems
            if p.severity == "error"
        ]
        form.add_error(None, "The definition has problems to fix before it can be published.")
    except definitions.DefinitionError as exc:
        form.add_error(None, exc.message)
    return None


def _code_taken_elsewhere(request: HttpRequest, code: str) -> bool:
    exists = Process.objects.filter(code=code).exists()
    return exists and not processes_for(request).filter(code=code).exists()
