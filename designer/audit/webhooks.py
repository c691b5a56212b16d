"""Webhook pages: endpoints (create, edit, disable, delete, rotate the secret, send a test
event) and each endpoint's delivery log with Retry now.

Thin adapters over engine.webhooks (endpoints and delivery services). Every
change is a POST; without ``engine.manage_webhooks`` an endpoint or delivery
is a 404 and nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from designer.audit.access import delivery_for, endpoint_for, endpoints_for, require_manager
from designer.audit.forms import EndpointForm
from engine.errors import Conflict, InvalidData
from engine.models import DeliveryState, WebhookEndpoint
from engine.models.webhooks import OPEN_DELIVERY_STATES
from engine.tenancy import tenant_id_for
from engine.webhooks import delivery, endpoints

LIST = "audit/webhooks.html"
DETAIL = "audit/webhook_detail.html"
EDIT = "audit/webhook_edit.html"
REVEAL = "waymark_webhook_secret"  # session key: the secret to show once
DELIVERIES_PER_PAGE = 25
CHANGED = "deliveries-changed"
WATCH_AHEAD = timedelta(minutes=1)


def _errors_to_form(form: EndpointForm, exc: InvalidData) -> None:
    for error in exc.errors:
        field = error.get("path")
        form.add_error(field if field in form.fields else None, error["message"])


def _list(request: HttpRequest, form: EndpointForm | None = None, status: int = 200):
    items = endpoints_for(request).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SUCCEEDED)),
        failing=Count(
            "deliveries",
            filter=Q(deliveries__state__in=[DeliveryState.FAILED, DeliveryState.GIVEN_UP]),
        ),
    )
    context = {
        "nav": "audit",
        "endpoints": items,
        "form": form or EndpointForm(initial={"enabled": True}),
        "open_create": form is not None,
    }
    return render(request, LIST, context, status=status)


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    require_manager(request, hide=False)
    return _list(request)


@login_required
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    require_manager(request, hide=False)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = endpoints.create_endpoint(
                form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                event_types=form.cleaned_data["event_types"],
                headers=form.cleaned_data["headers"],
                enabled=form.cleaned_data["enabled"],
                user=request.user,
                tenant_id=tenant_id_for(request),
            )
        except InvalidData as exc:
            _errors_to_form(form, exc)
        else:
            request.session[REVEAL] = {"endpoint": endpoint.pk, "secret": endpoint.secret}
            messages.success(request, "Endpoint added. Copy its signing secret now.")
            return redirect("audit:webhook_detail", endpoint.pk)
    return _list(request, form, status=400)


def _deliveries(request: HttpRequest, endpoint: WebhookEndpoint) -> dict:
    rows = endpoint.deliveries.select_related("event").order_by("-created_at", "-pk")
    page = Paginator(rows, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    # Poll while something is about to change; not for a retry due in an hour.
    soon = timezone.now() + WATCH_AHEAD
    watching = any(
        d.state in OPEN_DELIVERY_STATES and (d.next_attempt_at is None or d.next_attempt_at <= soon)
        for d in page
    )
    return {"endpoint": endpoint, "deliveries": page, "watching": watching}


@login_required
@require_GET
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request, pk)
    if request.htmx and request.htmx.target == "deliveries":
        # The fragment polls itself only while a delivery is still open.
        return render(request, f"{DETAIL}#deliveries", _deliveries(request, endpoint))
    reveal = request.session.get(REVEAL)
    secret = None
    if reveal and reveal.get("endpoint") == endpoint.pk:
        secret = reveal["secret"]
        del request.session[REVEAL]  # shown once
    context = {"nav": "audit", "secret": secret, **_deliveries(request, endpoint)}
    return render(request, DETAIL, context)


@login_required
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request, pk)
    if request.method != "POST":
        form = EndpointForm.for_endpoint(endpoint)
        return render(request, EDIT, {"nav": "audit", "endpoint": endpoint, "form": form})
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoints.update_endpoint(endpoint, user=request.user, **form.cleaned_data)
        except InvalidData as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("audit:webhook_detail", endpoint.pk)
    endpoint.refresh_from_db()
    context = {"nav": "audit", "endpoint": endpoint, "form": form}
    return render(request, EDIT, context, status=400)


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request, pk)
    enable = request.POST.get("enabled") == "1"
    endpoints.set_enabled(endpoint, enable, user=request.user)
    messages.success(request, "Endpoint enabled." if enable else "Endpoint disabled.")
    return redirect("audit:webhook_detail", endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request, pk)
    url = endpoint.url
    endpoints.delete_endpoint(endpoint, user=request.user)
    messages.success(request, f"Deleted the endpoint {url} and its delivery log.")
    return redirect("audit:webhook_list")


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request, pk)
    secret = endpoints.rotate_secret(endpoint, user=request.user)
    request.session[REVEAL] = {"endpoint": endpoint.pk, "secret": secret}
    messages.success(
        request, "New secret created. The old one also signs for a day, so receivers can switch."
    )
    return redirect("audit:webhook_detail", endpoint.pk)


def _after_delivery_change(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    if request.htmx:
        response = render(request, f"{DETAIL}#deliveries", _deliveries(request, endpoint))
        return trigger_client_event(response, CHANGED)
    return redirect("audit:webhook_detail", endpoint.pk)


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request, pk)
    delivery.send_test_event("test.ping", endpoint=endpoint, user=request.user)
    if not request.htmx:
        messages.success(request, "Test event sent; see the delivery log below.")
    return _after_delivery_change(request, endpoint)


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    row = delivery_for(request, pk)
    try:
        delivery.retry_now(row)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        if not request.htmx:
            messages.success(request, "Sent again; see the delivery log.")
    return _after_delivery_change(request, row.endpoint)
