"""audit/: the audit trail, filtered."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from engine.api import lookups
from engine.api.filters import AuditQuery
from engine.api.serializers import AuditEventSerializer
from engine.api.views.base import ApiView, error_responses


class AuditList(ApiView):
    serializer_class = AuditEventSerializer

    @extend_schema(
        summary="Audit events, newest first (all for run managers, else those of your runs)",
        description=(
            "`action` matches exactly, or every action starting with it when it ends with a "
            "dot (`run.`); `since` and `until` are ISO 8601 times (since <= created_at < until)."
        ),
        parameters=[AuditQuery],
        responses={200: AuditEventSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        filters = self.query(AuditQuery)
        rows = lookups.audit_events(request).select_related("process", "version")
        action = filters.get("action")
        if action:
            rows = (
                rows.filter(action__startswith=action)
                if action.endswith(".")
                else rows.filter(action=action)
            )
        if "process" in filters:
            rows = rows.filter(process__code=filters["process"])
        if "instance" in filters:
            rows = rows.filter(instance_id=filters["instance"])
        if "workitem" in filters:
            rows = rows.filter(workitem_id=filters["workitem"])
        if "actor" in filters:
            rows = rows.filter(actor_name=filters["actor"])
        if "since" in filters:
            rows = rows.filter(created_at__gte=filters["since"])
        if "until" in filters:
            rows = rows.filter(created_at__lt=filters["until"])
        return self.listing(rows, AuditQuery, filters, AuditEventSerializer)


class AuditDetail(ApiView):
    serializer_class = AuditEventSerializer

    @extend_schema(
        summary="One audit event", responses={200: AuditEventSerializer, **error_responses(404)}
    )
    def get(self, request, event_id: int):
        from django.http import Http404

        event = lookups.audit_events(request).filter(pk=event_id).first()
        if event is None:
            raise Http404(f"There is no audit event {event_id}.")
        return Response(self.out(AuditEventSerializer, event))
