"""incidents/: why runs cannot move by themselves; retry or resolve them (needs 'manage runs').

An incident is visible to whoever may open its run (engine.permissions).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from engine.api import lookups
from engine.api.serializers.incidents import (
    IncidentDetailSerializer,
    IncidentQuery,
    ResolveSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.models import Incident
from engine.services import incidents


def _visible(request):
    return Incident.objects.filter(instance__in=lookups.runs(request)).select_related(
        "instance__process", "resolved_by"
    )


def _incident(request, incident_id: int) -> Incident:
    found = _visible(request).filter(pk=incident_id).first()
    if found is None:
        raise Http404(f"There is no incident {incident_id}.")
    return found


class IncidentList(ApiView):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        summary="Incidents of the runs you may see, newest first",
        parameters=[IncidentQuery],
        responses={200: IncidentDetailSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        params = self.query(IncidentQuery)
        rows = _visible(request)
        if "run" in params:
            rows = rows.filter(instance_id=params["run"])
        if "process" in params:
            rows = rows.filter(instance__process__code=params["process"])
        if "kind" in params:
            rows = rows.filter(kind=params["kind"])
        if params.get("open") is not None:
            rows = rows.filter(resolved_at__isnull=params["open"])
        return self.listing(rows, IncidentQuery, params, IncidentDetailSerializer)


class IncidentDetail(ApiView):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        summary="An incident, with its error and traceback",
        responses={200: IncidentDetailSerializer, **error_responses(404)},
    )
    def get(self, request, incident_id: int):
        return Response(self.out(IncidentDetailSerializer, _incident(request, incident_id)))


class IncidentRetry(ApiView):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        summary="Retry the step the incident stopped (needs 'manage runs')",
        description="The handler runs again with the same idempotency key; a routing "
        "problem is routed again (fix the data first). The incident is resolved.",
        request=None,
        responses={200: IncidentDetailSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, incident_id: int):
        incident = incidents.retry_incident(_incident(request, incident_id), user=request.user)
        return Response(self.out(IncidentDetailSerializer, _incident(request, incident.pk)))


class IncidentResolve(ApiView):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        summary="Resolve by hand: the fallen-out step counts as done (needs 'manage runs')",
        description="For a problem dealt with outside Waymark: the step the incident "
        "stopped counts as completed and the run routes on from it; an incident without "
        "a step is closed. Audited (incident.resolved, with the note).",
        request=ResolveSerializer,
        responses={200: IncidentDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, incident_id: int):
        incident = _incident(request, incident_id)
        note = self.body(ResolveSerializer)["note"]
        incident = incidents.resolve_incident(incident, user=request.user, note=note)
        return Response(self.out(IncidentDetailSerializer, _incident(request, incident.pk)))
