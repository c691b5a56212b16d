"""webhooks/: endpoints that receive audit events; the same rules as the webhook pages.

Only people with ``engine.manage_webhooks`` reach them: the list answers
everyone else 403, an endpoint 404 (its id reveals nothing). The signing
secret is in the answer to a create, and after that only through the
explicit, audited ``secret/`` action or a rotation.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from engine.api.serializers.webhooks import (
    WebhookCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookQuery,
    WebhookSecretSerializer,
    WebhookWriteSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.errors import NotAllowed
from engine.models import WebhookEndpoint
from engine.services import webhook_endpoints
from engine.tenancy import scoped, tenant_id_for
from engine.webhooks import endpoints


def _require_manager(request) -> None:
    if not endpoints.can_manage(request.user):
        raise NotAllowed(
            "You may not manage webhook endpoints: it needs the 'manage webhooks' permission."
        )


def _endpoint(request, endpoint_id: int) -> WebhookEndpoint:
    found = None
    if endpoints.can_manage(request.user):
        found = scoped(WebhookEndpoint.objects.all(), request).filter(pk=endpoint_id).first()
    if found is None:
        raise Http404(f"There is no webhook endpoint {endpoint_id}.")
    return found


class WebhookList(ApiView):
    serializer_class = WebhookEndpointSerializer

    @extend_schema(
        summary="Webhook endpoints (needs 'manage webhooks')",
        parameters=[WebhookQuery],
        responses={200: WebhookEndpointSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        _require_manager(request)
        params = self.query(WebhookQuery)
        rows = scoped(WebhookEndpoint.objects.all(), request)
        if params.get("enabled") is not None:
            rows = rows.filter(enabled=params["enabled"])
        return self.listing(rows, WebhookQuery, params, WebhookEndpointSerializer)

    @extend_schema(
        summary="Add a webhook endpoint; the answer holds its signing secret",
        request=WebhookWriteSerializer,
        responses={201: WebhookCreatedSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        _require_manager(request)
        fields = self.body(WebhookWriteSerializer)
        endpoint = endpoints.create_endpoint(
            fields.pop("url"), user=request.user, tenant_id=tenant_id_for(request), **fields
        )
        return Response(self.out(WebhookCreatedSerializer, endpoint), status.HTTP_201_CREATED)


class WebhookDetail(ApiView):
    serializer_class = WebhookEndpointSerializer

    @extend_schema(
        summary="A webhook endpoint (without its secret)",
        responses={200: WebhookEndpointSerializer, **error_responses(404)},
    )
    def get(self, request, endpoint_id: int):
        return Response(self.out(WebhookEndpointSerializer, _endpoint(request, endpoint_id)))

    @extend_schema(
        summary="Change url, description, event_types, headers or enabled",
        request=WebhookWriteSerializer(partial=True),
        responses={200: WebhookEndpointSerializer, **error_responses(400, 404)},
    )
    def patch(self, request, endpoint_id: int):
        endpoint = _endpoint(request, endpoint_id)
        fields = self.body(WebhookWriteSerializer, partial=True)
        endpoint = endpoints.update_endpoint(endpoint, user=request.user, **fields)
        return Response(self.out(WebhookEndpointSerializer, endpoint))

    @extend_schema(
        summary="Delete the endpoint and its delivery log",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, endpoint_id: int):
        endpoints.delete_endpoint(_endpoint(request, endpoint_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecret(ApiView):
    serializer_class = WebhookSecretSerializer

    @extend_schema(
        summary="Read the endpoint's signing secret (audited: webhook.secret_revealed)",
        request=None,
        responses={200: WebhookSecretSerializer, **error_responses(404)},
    )
    def post(self, request, endpoint_id: int):
        endpoint = _endpoint(request, endpoint_id)
        endpoint = webhook_endpoints.reveal_secret(endpoint, user=request.user)
        return Response(self.out(WebhookSecretSerializer, endpoint))


class WebhookRotateSecret(ApiView):
    serializer_class = WebhookSecretSerializer

    @extend_schema(
        summary="A new signing secret; the old one also signs for a grace period",
        request=None,
        responses={200: WebhookSecretSerializer, **error_responses(404)},
    )
    def post(self, request, endpoint_id: int):
        endpoint = _endpoint(request, endpoint_id)
        endpoints.rotate_secret(endpoint, user=request.user)
        return Response(self.out(WebhookSecretSerializer, endpoint))
