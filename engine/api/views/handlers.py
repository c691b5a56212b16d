"""handlers/: the catalogue of registered handlers (what automatic tasks may name)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from engine import handlers
from engine.api.serializers.me import NoQuery
from engine.api.views.base import ApiView, error_responses


class HandlerSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    reads = serializers.ListField(child=serializers.CharField())
    writes = serializers.ListField(child=serializers.CharField())
    module = serializers.CharField()
    problem = serializers.CharField(help_text="why a WAYMARK_HANDLERS path cannot be used")


class HandlerList(ApiView):
    serializer_class = HandlerSerializer
    pagination_class = None

    @extend_schema(
        summary="The registered handlers, by name",
        responses={200: HandlerSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        self.query(NoQuery)
        return Response([entry.as_dict() for entry in handlers.catalogue()])
