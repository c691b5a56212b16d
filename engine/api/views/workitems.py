"""workitems/: a person's inbox (mine, available, done) and claim, release, complete.

Acting goes through engine.services.runtime, which decides who may act
(runtime.can_act); a workitem the caller may not see is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from engine.api import lookups
from engine.api.serializers import (
    CompleteSerializer,
    ExpectedVersionSerializer,
    WorkItemDetailSerializer,
    WorkItemFilterSerializer,
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
ACTION_ERRORS = error_responses(400, 403, 404, 409)


class WorkItemList(ApiView):
    serializer_class = WorkItemSerializer

    @extend_schema(
        summary="Your tasks: assigned to you (mine), offered to you (available), or done",
        parameters=[WorkItemFilterSerializer],
        responses={200: WorkItemSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        box = self.query(WorkItemFilterSerializer)["box"]
        rows = lookups.in_tenant(BOXES[box](request.user), request)
        rows = rows.select_related("instance__process", "assignee", "completed_by")
        return self.page(rows, WorkItemSerializer)


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
