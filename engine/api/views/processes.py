"""processes/ and processes/{code}/."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from engine import permissions
from engine.api import lookups
from engine.api.filters import ProcessQuery
from engine.api.serializers import (
    ProcessCreateSerializer,
    ProcessSerializer,
    ProcessUpdateSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.models import Version, VersionStatus
from engine.services import definitions
from engine.tenancy import tenant_id_for


class ProcessList(ApiView):
    serializer_class = ProcessSerializer

    @extend_schema(
        summary="List processes",
        parameters=[ProcessQuery],
        responses={200: ProcessSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        params = self.query(ProcessQuery)
        published = Version.objects.filter(process=OuterRef("pk"), status=VersionStatus.PUBLISHED)
        rows = (
            lookups.processes(request)
            .select_related("created_by")
            .annotate(published_number=Subquery(published.values("number")[:1]))
        )
        return self.listing(rows, ProcessQuery, params, ProcessSerializer)

    @extend_schema(
        summary="Create a process (with draft version 1: start -> end)",
        request=ProcessCreateSerializer,
        responses={201: ProcessSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        permissions.require(request.user, permissions.DESIGN, "create processes")
        fields = self.body(ProcessCreateSerializer)
        process = definitions.create_process(
            fields.get("code", ""),
            fields["title"],
            description=fields.get("description", ""),
            input_schema=fields.get("input_schema") or {},
            singleton_key=fields.get("singleton_key", ""),
            user=request.user,
            tenant_id=tenant_id_for(request),
        )
        return Response(self.out(ProcessSerializer, process), status=status.HTTP_201_CREATED)


class ProcessDetail(ApiView):
    serializer_class = ProcessSerializer

    @extend_schema(summary="A process", responses={200: ProcessSerializer, **error_responses(404)})
    def get(self, request, code: str):
        return Response(self.out(ProcessSerializer, lookups.process(request, code)))

    @extend_schema(
        summary="Change a process's title, description, input schema or singleton key",
        request=ProcessUpdateSerializer,
        responses={200: ProcessSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, code: str):
        process = lookups.process(request, code)
        permissions.require(request.user, permissions.DESIGN, "edit processes")
        fields = self.body(ProcessUpdateSerializer, partial=True)
        process = definitions.update_process(process, user=request.user, **fields)
        return Response(self.out(ProcessSerializer, process))
