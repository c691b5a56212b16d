"""processes/{code}/versions/{n}/move-runs/: move running runs to another version."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from engine.api import lookups
from engine.api.views.base import ApiView, error_responses
from engine.services.moving import move_runs

MAX_MAPPING = 5_000
MAX_RUNS = 10_000


class MoveRunsSerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="target version")
    mapping = serializers.DictField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=dict,
        help_text="activity keys of this version and their keys in the target; "
        "keys not named map to themselves",
    )
    runs = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=MAX_RUNS,
        help_text="only these runs (default: every active run of this version)",
    )

    def validate_mapping(self, mapping: dict) -> dict:
        if len(mapping) > MAX_MAPPING:
            raise ValidationError(f"At most {MAX_MAPPING} keys.")
        if any(len(key) > 64 for key in mapping):
            raise ValidationError("A key has at most 64 characters.")
        return mapping


class MovedRunsSerializer(serializers.Serializer):
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    moved = serializers.ListField(child=serializers.IntegerField(), help_text="run ids")


class MoveRuns(ApiView):
    serializer_class = MovedRunsSerializer

    @extend_schema(
        summary="Move running runs of this version to another (needs 'manage runs')",
        description=(
            "All or nothing: when a run waits at an activity with no place in the target "
            "(409 runs_cannot_move), `errors` lists every such place and nothing moves. "
            "Audited as run.moved."
        ),
        request=MoveRunsSerializer,
        responses={200: MovedRunsSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, code: str, number: int):
        source = lookups.version(request, code, number)
        asked = self.body(MoveRunsSerializer)
        try:
            target = lookups.version(request, code, asked["to"])
        except Http404 as exc:
            raise ValidationError({"to": [str(exc)]}) from exc
        run_ids = asked.get("runs")
        if run_ids is not None:
            visible = set(lookups.runs(request).filter(pk__in=run_ids).values_list("pk", flat=True))
            unknown = sorted(set(run_ids) - visible)
            if unknown:
                raise ValidationError({"runs": [f"There is no run {pk}." for pk in unknown[:20]]})
        moved = move_runs(
            source, target, mapping=asked["mapping"], run_ids=run_ids, user=request.user
        )
        body = {
            "from_version": source.number,
            "to_version": target.number,
            "moved": [run.pk for run in moved],
        }
        return Response(self.out(MovedRunsSerializer, body))
