"""me/: who am I: the signed-in user, their tenant, roles and permissions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from engine import permissions
from engine.api.serializers.me import MeSerializer, NoQuery
from engine.api.views.base import ApiView, error_responses
from engine.tenancy import resolve_tenant
from engine.webhooks.endpoints import PERMISSION as MANAGE_WEBHOOKS

ABILITIES = {
    "design": permissions.DESIGN,
    "publish": permissions.PUBLISH,
    "manage_runs": permissions.MANAGE_RUNS,
    "manage_workitems": permissions.MANAGE_WORKITEMS,
    "view_runs": permissions.VIEW_RUNS,
    "view_audit": permissions.VIEW_AUDIT,
    "manage_webhooks": MANAGE_WEBHOOKS,
}


class Me(ApiView):
    serializer_class = MeSerializer
    pagination_class = None

    @extend_schema(summary="Who am I", responses={200: MeSerializer, **error_responses()})
    def get(self, request):
        self.query(NoQuery)  # an unknown parameter is a 400, as everywhere
        user = request.user
        held = sorted(p for p in user.get_all_permissions() if p.startswith("engine."))
        me = {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email or "",
            "name": user.get_full_name(),
            "is_superuser": user.is_superuser,
            "tenant": resolve_tenant(request),
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "permissions": held,
            "can": {name: permissions.has(user, perm) for name, perm in ABILITIES.items()},
        }
        return Response(MeSerializer(me).data)
