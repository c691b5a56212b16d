"""Project-wide error answers: JSON under /api/, pages elsewhere; a database outage is a 503.

DRF views answer their own errors (engine/api/errors.py). What is left is caught
here: an exception raised by a page (or by a view outside DRF) that means the
database cannot be reached, and Django's 404 and 500 handlers, which are used
when DEBUG is off.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from engine.api import errors as api_errors

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    status, data, headers = api_errors.database_unavailable(exc)
    if is_api(request):
        return api_errors.json_response(status, data, headers)
    # A page of its own: base.html's context processors would query the database again.
    page = render_to_string("503.html", {"retry_after": api_errors.RETRY_AFTER_SECONDS})
    return HttpResponse(page, status=status, headers=headers)


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is down answers 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, api_errors.DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: the API's JSON body under /api/, Django's page elsewhere."""
    if is_api(request):
        detail = f"There is no endpoint at {request.path}: see /api/v1/docs/."
        return api_errors.json_response(404, api_errors.body(detail, "not_found"))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage raised outside a view (a middleware saving the session) is a
    503 too; any other failure is the JSON body under /api/ and Django's page elsewhere."""
    exc = sys.exc_info()[1]
    if isinstance(exc, api_errors.DATABASE_ERRORS):
        return database_unavailable(request, exc)
    if is_api(request):
        detail = "The server failed to answer this request; the error was logged."
        return api_errors.json_response(500, api_errors.body(detail, "server_error"))
    return defaults.server_error(request)
