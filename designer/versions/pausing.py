"""Pausing and resuming a process from its versions page (``engine.services.triggers.set_paused``).

A paused process's triggers stop firing (explicit starts still work); resuming
moves each schedule to its next time from now. Both are audited
(``process.paused`` / ``process.resumed``) by the service and need the
permission to publish, as in the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from designer.versions.access import PUBLISH, process_for, require
from engine.services import triggers


def _set_paused(request: HttpRequest, code: str, paused: bool) -> HttpResponse:
    process = process_for(request, code)
    require(request, PUBLISH)
    was = process.paused
    process = triggers.set_paused(process, paused, user=request.user)
    if was == paused:
        state = "paused" if paused else "running"
        messages.info(request, f"{process.title} was already {state}.")
    elif paused:
        messages.success(request, f"Paused {process.title}: its triggers stop firing.")
    else:
        messages.success(
            request, f"Resumed {process.title}: each trigger fires next at its next time from now."
        )
    return redirect("versions:list", code=process.code)


@login_required
@require_POST
def pause(request: HttpRequest, code: str) -> HttpResponse:
    return _set_paused(request, code, True)


@login_required
@require_POST
def resume(request: HttpRequest, code: str) -> HttpResponse:
    return _set_paused(request, code, False)
