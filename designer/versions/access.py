"""Lookups and permission checks shared by the versions pages.

Every lookup goes through ``engine.tenancy.scoped``: a process of another
tenant is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from engine.models import Process, Version
from engine.tenancy import scoped

DESIGN = "engine.design_process"
PUBLISH = "engine.publish_process"


def processes_for(request: HttpRequest):
    return scoped(Process.objects.all(), request)


def process_for(request: HttpRequest, code: str) -> Process:
    return get_object_or_404(processes_for(request), code=code)


def version_for(request: HttpRequest, code: str, number: int) -> Version:
    process = process_for(request, code)
    try:
        version = process.versions.select_related("created_by", "published_by", "cloned_from").get(
            number=number
        )
    except Version.DoesNotExist as exc:
        raise Http404("No such version.") from exc
    version.process = process  # already loaded and checked
    return version


def require(request: HttpRequest, permission: str) -> None:
    """Refuse (403) a person who may see the process but not change it this way."""
    if not request.user.has_perm(permission):
        raise PermissionDenied


def editor_url(version: Version) -> str:
    """The editor of a version, or the versions page while the editor is not installed."""
    try:
        return reverse("designer:editor", args=(version.process.code, version.number))
    except NoReverseMatch:
        return reverse("versions:list", args=(version.process.code,))


def fragment_status(request: HttpRequest, status: int) -> int:
    """HTMX swaps only 2xx responses: a fragment that explains an error is sent as 200."""
    return 200 if request.htmx else status
