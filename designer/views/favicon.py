"""``/favicon.ico``: browsers ask for it at the site's root, whatever the page says."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    path = finders.find("favicon.ico")
    if not path:
        raise Http404("No favicon.")
    return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 - closed by Django
