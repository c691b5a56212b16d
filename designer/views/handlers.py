"""The Handlers page: every handler registered with Waymark, for people drawing processes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from engine import handlers


@login_required
@require_GET
def handler_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "designer/handlers.html",
        {"handlers": handlers.catalogue(), "nav": "handlers"},
    )
