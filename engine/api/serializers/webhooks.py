"""Webhook endpoints: where audit events are delivered. The secret is only in answers that
say so (create, reveal, rotate); every rule about URLs, event types and headers is
engine.webhooks.endpoints'."""

from __future__ import annotations

from rest_framework import serializers

from engine.api.filters import ListQuery, ordering_field
from engine.models import WebhookEndpoint

FIELDS = [
    "id",
    "url",
    "description",
    "event_types",
    "headers",
    "enabled",
    "created_at",
    "updated_at",
]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.CharField(),
        help_text="actions (run.completed), prefixes (workitem.*); empty: every event",
    )
    headers = serializers.DictField(
        child=serializers.CharField(), help_text="extra request headers"
    )

    class Meta:
        model = WebhookEndpoint
        fields = FIELDS
        read_only_fields = FIELDS


class WebhookSecretSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "secret", "previous_secret_until"]
        read_only_fields = fields
        extra_kwargs = {
            "secret": {"help_text": "signs every delivery (Standard Webhooks, whsec_...)"},
            "previous_secret_until": {
                "help_text": "after a rotation the old secret also signs until then"
            },
        }


class WebhookCreatedSerializer(WebhookEndpointSerializer):
    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*FIELDS, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer):
    """Types only; engine.webhooks.endpoints checks the values and lists every problem."""

    url = serializers.CharField(max_length=500)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=50
    )
    headers = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    enabled = serializers.BooleanField(required=False, default=True)


class WebhookQuery(ListQuery):
    ORDERING = {"id": "pk", "url": "url", "created_at": "created_at"}
    DEFAULT_ORDERING = "url"

    enabled = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)
