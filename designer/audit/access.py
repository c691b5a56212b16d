"""Who may see what in the audit area; every lookup is tenant-scoped (engine.tenancy).

- The audit log: people with ``engine.view_auditevent`` (and superusers) see
  every event of their tenant; everyone else sees their own actions.
- Webhooks: people who may manage them (``engine.manage_webhooks``). For
  anyone else an endpoint or delivery does not exist (404), so a URL never
  reveals what is there.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from engine import permissions
from engine.models import WebhookDelivery, WebhookEndpoint
from engine.tenancy import scoped
from engine.webhooks.endpoints import can_manage


def sees_all_events(user) -> bool:
    return permissions.sees_all_events(user)


def events_for(request: HttpRequest):
    """The audit log's rows: the rules are engine.permissions, shared with the API."""
    return permissions.visible_events(request.user, request)


def require_manager(request: HttpRequest, *, hide: bool = True) -> None:
    """404 (``hide``) or 403 for people who may not manage webhooks."""
    if not can_manage(request.user):
        if hide:
            raise Http404("No such webhook endpoint.")
        raise PermissionDenied("You may not manage webhooks.")


def endpoints_for(request: HttpRequest):
    return scoped(WebhookEndpoint.objects.all(), request)


def endpoint_for(request: HttpRequest, pk: int) -> WebhookEndpoint:
    require_manager(request)
    return get_object_or_404(endpoints_for(request), pk=pk)


def delivery_for(request: HttpRequest, pk: int) -> WebhookDelivery:
    require_manager(request)
    return get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint", "event"),
        pk=pk,
        endpoint__in=endpoints_for(request),
    )
