"""workitems/: a person's inbox (mine, available, done) and claim, release, complete.

Acting goes through engine.services.runtime, which decides who may act
(runtime.can_act); a workitem the caller may not see is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from engine.api import lookups
from engine.api.filters import WorkItemQuery
from engine.api.serializers import (
    CompleteSerializer,
    ExpectedVersionSerializer,
    WorkItemDetailSerializer,
    WorkItemSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.models import WorkItem
from engine.services import runtime

BOXES = {
    "mine": WorkItem.objects.inbox,
    "available": WorkItem.objects.available,
    "done": WorkItem.objects.done,
}
# The box "done" reads best most recently completed first; the others newest first.
BOX_ORDERING = {"done": "-completed_at"}
ACTION_ERRORS = error_responses(400, 403, 404, 409)


class WorkItemList(ApiView):
    serializer_class = WorkItemSerializer

    @extend_schema(
        summary="Your tasks: assigned to you (mine), offered to you (available), done, or all",
        description=(
            "Without `box`, the list is your inbox (`mine`); with any filter (`run`, "
            "`process`, `activity`, `state`, `assignee`) it searches every task you may see."
        ),
        parameters=[WorkItemQuery],
        responses={200: WorkItemSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        params = self.query(WorkItemQuery)
        box = WorkItemQuery.chosen_box(params)
        if box == "all":
            rows = lookups.workitems(request)
        else:
            rows = lookups.in_tenant(BOXES[box](request.user), request)
        rows = filter_workitems(rows, params)
        rows = rows.select_related("instance__process", "assignee", "completed_by")
        if "ordering" not in params and box in BOX_ORDERING:
            params = {**params, "ordering": BOX_ORDERING[box]}
        return self.listing(rows, WorkItemQuery, params, WorkItemSerializer)


def filter_workitems(rows, params: dict):
    """``rows`` narrowed by the filters of WorkItemQuery that ``params`` has."""
    if "run" in params:
        rows = rows.filter(instance_id=params["run"])
    if "process" in params:
        rows = rows.filter(instance__process__code=params["process"])
    if "activity" in params:
        rows = rows.filter(activity_key=params["activity"])
    if "state" in params:
        rows = rows.filter(state=params["state"])
    if "assignee" in params:
        rows = rows.filter(assignee__username=params["assignee"])
    return rows


class WorkItemDetail(ApiView):
    serializer_class = WorkItemDetailSerializer

    @extend_schema(
        summary="A workitem, its outcomes, form schema and candidates",
        responses={200: WorkItemDetailSerializer, **error_responses(404)},
    )
    def get(self, request, workitem_id: int):
        workitem = lookups.workitem(request, workitem_id)
        return Response(self.out(WorkItemDetailSerializer, workitem))


class _Action(ApiView):
    serializer_class = WorkItemDetailSerializer

    def answer(self, request, workitem: WorkItem) -> Response:
        # Read back: the action may have moved the run on (the caller still sees the workitem
        # they acted on, whoever can see it now).
        fresh = WorkItem.objects.select_related(
            "instance", "instance__process", "assignee", "completed_by"
        ).get(pk=workitem.pk)
        return Response(self.out(WorkItemDetailSerializer, fresh))


class WorkItemClaim(_Action):
    @extend_schema(
        summary="Take an offered task",
        request=ExpectedVersionSerializer,
        responses={200: WorkItemDetailSerializer, **ACTION_ERRORS},
    )
    def post(self, request, workitem_id: int):
        workitem = lookups.workitem(request, workitem_id)
        expected = self.body(ExpectedVersionSerializer)["expected_version"]
        workitem = runtime.claim(workitem, user=request.user, expected_version=expected)
        return self.answer(request, workitem)


class WorkItemRelease(_Action):
    @extend_schema(
        summary="Give a claimed task back to its candidates",
        request=ExpectedVersionSerializer,
        responses={200: WorkItemDetailSerializer, **ACTION_ERRORS},
    )
    def post(self, request, workitem_id: int):
        workitem = lookups.workitem(request, workitem_id)
        expected = self.body(ExpectedVersionSerializer)["expected_version"]
        workitem = runtime.release(workitem, user=request.user, expected_version=expected)
        return self.answer(request, workitem)


class WorkItemComplete(_Action):
    @extend_schema(
        summary="Complete a task with an outcome and form data; the run moves on",
        request=CompleteSerializer,
        responses={200: WorkItemDetailSerializer, **ACTION_ERRORS, **error_responses(413)},
    )
    def post(self, request, workitem_id: int):
        workitem = lookups.workitem(request, workitem_id)
        fields = self.body(CompleteSerializer)
        workitem = runtime.complete(
            workitem,
            user=request.user,
            outcome=fields["outcome"],
            data=fields["data"],
            expected_version=fields["expected_version"],
        )
        return self.answer(request, workitem)
