"""Error bodies of the REST API: one shape for every failure.

    {"detail": "what went wrong, for people",
     "code": "conflict",
     "errors": [{"path": "data.amount", "message": "..."}]}

``detail`` is always there; ``errors`` lists each problem with where it is
(a dotted path into the request body, or an element key) and is empty when
the problem has no place. Waymark's own errors carry their status and code
(engine/errors.py, listed in docs/api.md); nothing here changes state.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from engine.errors import WaymarkError

log = logging.getLogger(__name__)

# A lost connection, a server that is down or restarting, a locked SQLite file past its
# busy timeout: the request may succeed if sent again, so it is a 503, not a 500.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def body(detail: str, code: str, errors: list[dict] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or []}


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """DRF's nested validation detail as [{"path", "message"}], paths dotted."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            key = "" if key in ("non_field_errors", "__all__") else str(key)
            found += _flatten(value, f"{path}.{key}" if path and key else path or key)
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            if item:
                found += _flatten(item, f"{path}.{index}" if path else str(index))
        return found
    return [{"path": path, "message": str(detail)}]


def database_unavailable(exc: Exception) -> tuple[int, dict, dict]:
    """The 503 answer to a database outage; the error itself goes to the log, not the caller."""
    log.error("Database unavailable: %s", exc, exc_info=exc)
    detail = "The database cannot be reached right now. Try again in a few seconds."
    return 503, body(detail, "unavailable"), {"Retry-After": str(RETRY_AFTER_SECONDS)}


def translate(exc: Exception) -> tuple[int, dict, dict] | None:
    """(status, body, headers) for a known error, or None to let it be a server error."""
    if isinstance(exc, DATABASE_ERRORS):
        return database_unavailable(exc)
    if isinstance(exc, WaymarkError):
        # Each error names its own status and code (engine/errors.py): no chain to keep in order.
        return exc.status, body(exc.detail, exc.code, exc.errors), {}
    if isinstance(exc, RequestDataTooBig):
        return 413, body("The request body is too large.", "too_large"), {}
    if isinstance(exc, Http404):
        # Lookups say what was asked for ("There is no run 12."), never whether it exists.
        return 404, body(str(exc) or "Not found.", "not_found"), {}
    if isinstance(exc, DjangoPermissionDenied):
        return 403, body(str(exc) or "You may not do that.", "permission_denied"), {}
    if isinstance(exc, exceptions.APIException):
        return _api_exception(exc)
    return None


def _api_exception(exc: exceptions.APIException) -> tuple[int, dict, dict]:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait)}"
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        listed = "; ".join(f"{e['path'] or '(body)'}: {e['message']}" for e in errors[:5])
        return exc.status_code, body(f"Invalid input: {listed}", "invalid", errors), headers
    if isinstance(exc, exceptions.ParseError):
        detail = str(exc.detail)
        if "JSON parse error" in detail:
            detail = f"Malformed JSON: {detail.split(' - ', 1)[-1]}"
        return exc.status_code, body(detail, "malformed"), headers
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "error"
    return exc.status_code, body(str(exc.detail), code), headers


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler giving every error the shape above."""
    translated = translate(exc)
    if translated is None:
        return None
    status_code, data, headers = translated
    set_rollback()
    return Response(data, status=status_code, headers=headers)


def json_response(status_code: int, data: dict, headers: dict | None = None) -> JsonResponse:
    """An error body outside DRF (unknown paths, the project's error handlers)."""
    return JsonResponse(
        data,
        status=status_code,
        headers=headers or {},
        json_dumps_params={"separators": (",", ":")},  # as DRF's JSONRenderer writes it
    )


# Exempt like every DRF view: a session POST to a wrong path hears 404, not a CSRF page.
@csrf_exempt
def unknown_path(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """The last URL pattern under /api/v1/: no endpoint, or an id, code or key that cannot be.

    ``runs/abc/``, ``runs/-1/`` and an id beyond 2**63-1 land here, as does a path the API
    never had. Without a trailing slash a GET is redirected as Django's APPEND_SLASH would
    (this catch-all matches first, so CommonMiddleware never gets to).
    """
    path = request.path_info
    if not path.endswith("/") and _has_endpoint(f"{path}/"):
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        detail = f"There is no endpoint at {request.path}: did you mean {request.path}/ ?"
    else:
        detail = f"There is no endpoint at {request.path}: see /api/v1/docs/."
    return json_response(404, body(detail, "not_found"))


def _has_endpoint(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not unknown_path
