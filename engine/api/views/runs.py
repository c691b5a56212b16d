"""runs/: start, list, read, cancel and retry runs."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from engine import permissions
from engine.api import lookups
from engine.api.filters import RunQuery
from engine.api.serializers import (
    CancelSerializer,
    RunDetailSerializer,
    RunSerializer,
    RunStartSerializer,
)
from engine.api.serializers.run_requests import RunDataSerializer, WaitQuery
from engine.api.views.base import ApiView, error_responses
from engine.core.states import PublicStatus, RunState, public_status
from engine.errors import IdempotencyKeyReused
from engine.models import ProcessInstance
from engine.services import runtime, waits


def states_for(text: str) -> list[str]:
    """Run states for a filter value: a public status (ACTIVE, ...) or a detailed state."""
    upper = text.strip().upper()
    if upper in PublicStatus.__members__:
        wanted = PublicStatus[upper]
        return [s.value for s in RunState if public_status(s.value) == wanted]
    if text.strip().lower() in {s.value for s in RunState}:
        return [text.strip().lower()]
    choices = ", ".join([*PublicStatus.__members__, *(s.value for s in RunState)])
    raise ValidationError({"state": [f"Unknown state {text!r}: use one of {choices}."]})


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any text up to 200 characters, e.g. a UUID: a start sent again with the "
    "same key (for the same process) returns the run the first one made, with 200.",
)


class RunList(ApiView):
    serializer_class = RunSerializer

    @extend_schema(
        summary="Runs you may see, newest first",
        parameters=[RunQuery],
        responses={200: RunSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        filters = self.query(RunQuery)
        rows = lookups.runs(request).select_related("process", "version", "started_by")
        if "process" in filters:
            rows = rows.filter(process__code=filters["process"])
        if "state" in filters:
            rows = rows.filter(state__in=states_for(filters["state"]))
        if "business_key" in filters:
            rows = rows.filter(business_key=filters["business_key"])
        if "trigger" in filters:
            rows = rows.filter(trigger_key=filters["trigger"])
        return self.listing(rows, RunQuery, filters, RunSerializer)

    @extend_schema(
        summary="Start a run of a process's published version",
        description=(
            "201 with the new run; 200 with a run that already existed, and no second run "
            "is made: the run an earlier start with the same Idempotency-Key made, or the "
            "active run that holds the start data's value at the process's singleton_key. "
            "The same Idempotency-Key with other data or another business key is a 422. "
            "With ?wait=N the answer waits until the run completes, is cancelled or fails, "
            "or N seconds passed."
        ),
        parameters=[WaitQuery, IDEMPOTENCY_KEY],
        request=RunStartSerializer,
        responses={
            201: RunDetailSerializer,
            200: RunDetailSerializer,
            **error_responses(400, 404, 409, 413, 422),
        },
    )
    def post(self, request):
        wait = self.query(WaitQuery).get("wait")
        fields = self.body(RunStartSerializer)
        # Only processes of the caller's tenant can be started.
        if not lookups.processes(request).filter(code=fields["process"]).exists():
            raise runtime.UnknownProcess(
                f"There is no process with the code {fields['process']!r}."
            )
        try:
            started = runtime.start(
                fields["process"],
                fields["data"],
                business_key=fields["business_key"],
                user=request.user,
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        except IdempotencyKeyReused as exc:
            raise unnamed_run(request, exc) from None
        run = started.run if started.created else existing_run(request, started.run)
        if wait is not None:
            run = settled(request, run, wait)
        answer = status.HTTP_201_CREATED if started.created else status.HTTP_200_OK
        return Response(self.out(RunDetailSerializer, run), status=answer)


def unnamed_run(request, exc: IdempotencyKeyReused) -> IdempotencyKeyReused:
    """The refusal as is for someone who may open the key's run; without its id otherwise."""
    if exc.run_id is not None and permissions.find_run(request.user, exc.run_id, request):
        return exc
    return IdempotencyKeyReused(
        "This Idempotency-Key was already used to start a run with other data or another "
        "business key. Send a new key for a new start."
    )


def settled(request, run: ProcessInstance, wait: float) -> ProcessInstance:
    """``run`` as it is once it ended or failed, or after ``wait`` seconds."""
    waits.wait_until_settled(run.pk, wait)
    return lookups.run(request, run.pk)


def existing_run(request, run: ProcessInstance) -> ProcessInstance:
    """The active singleton run a start matched, if the caller may open it; else 409.

    Someone else's run is not shown (its data is theirs): the answer says only
    that an active run holds the value.
    """
    found = permissions.find_run(request.user, run.pk, request)
    if found is None and not run.singleton_value:
        raise runtime.Conflict(
            f"A run of {run.process.code!r} was already started with this Idempotency-Key, "
            "so no second run was started; you may not open it."
        )
    if found is None:
        raise runtime.Conflict(
            f"An active run of {run.process.code!r} already holds this value of "
            f"{run.process.singleton_key}, so no second run was started; you may not open it."
        )
    return found


class RunDetail(ApiView):
    serializer_class = RunDetailSerializer

    @extend_schema(
        summary="A run: state, data, result, where it stands, open incidents",
        description="With ?wait=N the answer waits until the run completes, is cancelled "
        "or fails, or N seconds passed.",
        parameters=[WaitQuery],
        responses={200: RunDetailSerializer, **error_responses(400, 404)},
    )
    def get(self, request, run_id: int):
        wait = self.query(WaitQuery).get("wait")
        run = lookups.run(request, run_id)
        if wait is not None:
            run = settled(request, run, wait)
        return Response(self.out(RunDetailSerializer, run))

    @extend_schema(
        summary="Change a running run's data (needs 'manage runs'; audited)",
        description="mode merge (default) sets the given top-level fields and keeps the "
        "others; replace makes the data exactly what is given. Fields the process's input "
        "schema declares are checked against it. Finished runs (completed, cancelled): 409.",
        request=RunDataSerializer,
        responses={200: RunDetailSerializer, **error_responses(400, 403, 404, 409, 413)},
    )
    def patch(self, request, run_id: int):
        run = lookups.run(request, run_id)
        fields = self.body(RunDataSerializer)
        replace = fields["mode"] == "replace"
        run = runtime.update_run_data(run, fields["data"], user=request.user, replace=replace)
        return Response(self.out(RunDetailSerializer, lookups.run(request, run.pk)))


class RunCancel(ApiView):
    serializer_class = RunDetailSerializer

    @extend_schema(
        summary="Cancel a run (needs 'manage runs')",
        request=CancelSerializer,
        responses={200: RunDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, run_id: int):
        run = lookups.run(request, run_id)
        reason = self.body(CancelSerializer)["reason"]
        run = runtime.cancel_run(run, user=request.user, reason=reason)
        return Response(self.out(RunDetailSerializer, run))


class RunRetry(ApiView):
    serializer_class = RunDetailSerializer

    @extend_schema(
        summary="Retry every fallen-out step of a failed run (needs 'manage runs')",
        request=None,
        responses={200: RunDetailSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, run_id: int):
        run = lookups.run(request, run_id)
        run = runtime.retry_run(run, user=request.user)
        return Response(self.out(RunDetailSerializer, run))


class RunSuspend(ApiView):
    serializer_class = RunDetailSerializer

    @extend_schema(
        summary="Pause a run: nothing moves it until it is resumed (needs 'manage runs')",
        request=CancelSerializer,
        responses={200: RunDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, run_id: int):
        run = lookups.run(request, run_id)
        reason = self.body(CancelSerializer)["reason"]
        run = runtime.suspend_run(run, user=request.user, reason=reason)
        return Response(self.out(RunDetailSerializer, run))


class RunResume(ApiView):
    serializer_class = RunDetailSerializer

    @extend_schema(
        summary="Resume a suspended run (needs 'manage runs')",
        request=None,
        responses={200: RunDetailSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, run_id: int):
        run = lookups.run(request, run_id)
        run = runtime.resume_run(run, user=request.user)
        return Response(self.out(RunDetailSerializer, run))
