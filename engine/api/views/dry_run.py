"""processes/{code}/versions/{n}/dry-run/: walk a version with sample data, writing nothing."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from engine import permissions
from engine.api import lookups
from engine.api.views.base import ApiView, error_responses
from engine.runtime.dry_run import dry_run_version


class DryRunRequestSerializer(serializers.Serializer):
    data = serializers.JSONField(required=False, default=dict, help_text="the sample start data")
    answers = serializers.JSONField(
        required=False,
        default=dict,
        help_text="by activity key: what each wait does (docs/designer.md, Dry runs)",
    )
    pass_waits = serializers.BooleanField(
        required=False, default=False, help_text="timers, signals and subprocesses pass at once"
    )
    call_handlers = serializers.BooleanField(
        required=False,
        default=False,
        help_text="call every automatic task's handler (with ctx.dry_run True)",
    )


class VersionDryRun(ApiView):
    serializer_class = DryRunRequestSerializer

    @extend_schema(
        summary="Dry-run a version: the steps it takes with sample data (nothing is stored)",
        request=DryRunRequestSerializer,
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 403, 404)},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        body = self.body(DryRunRequestSerializer)
        if body["call_handlers"] or _asks_for_calls(body["answers"]):
            # A handler may do things outside Waymark: only designers may call one.
            permissions.require(request.user, permissions.DESIGN, "call handlers in a dry run")
        result = dry_run_version(
            version,
            body["data"],
            body["answers"],
            pass_waits=body["pass_waits"],
            call_handlers=body["call_handlers"],
        )
        return Response(result.as_dict())


def _asks_for_calls(answers) -> bool:
    if not isinstance(answers, dict):
        return False
    listed = [a for v in answers.values() for a in (v if isinstance(v, list) else [v])]
    return any(isinstance(a, dict) and a.get("call") for a in listed)
