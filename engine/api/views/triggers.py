"""versions/{number}/triggers/ (editing a draft's triggers) and pausing a process.

Lookups come first (404), then the permission (403), then the service, which
refuses a published or retired version (409) and a bad trigger (400).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from engine import permissions
from engine.api import lookups
from engine.api.filters import TriggerQuery
from engine.api.serializers.triggers import (
    PauseSerializer,
    TriggerSerializer,
    TriggerUpdateSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.models import Trigger, Version
from engine.services import triggers

EDIT_ERRORS = error_responses(400, 403, 404, 409)


def _trigger(version: Version, key: str) -> Trigger:
    found = version.triggers.filter(key=key).first()
    if found is None:
        raise Http404(f"There is no trigger {key!r} in this version.")
    return found


class TriggerList(ApiView):
    serializer_class = TriggerSerializer

    @extend_schema(
        summary="The triggers of a version",
        parameters=[TriggerQuery],
        responses={200: TriggerSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        params = self.query(TriggerQuery)
        return self.listing(version.triggers.all(), TriggerQuery, params, TriggerSerializer)

    @extend_schema(
        summary="Add a trigger to a draft (only kind schedule is supported yet)",
        request=TriggerSerializer,
        responses={201: TriggerSerializer, **EDIT_ERRORS},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        fields = dict(self.body(TriggerSerializer))
        trigger = triggers.add_trigger(version, fields.pop("key"), user=request.user, **fields)
        return Response(self.out(TriggerSerializer, trigger), status=status.HTTP_201_CREATED)


class TriggerDetail(ApiView):
    serializer_class = TriggerSerializer

    @extend_schema(summary="A trigger", responses={200: TriggerSerializer, **error_responses(404)})
    def get(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        return Response(self.out(TriggerSerializer, _trigger(version, key)))

    @extend_schema(
        summary="Change a trigger of a draft (its key stays)",
        request=TriggerUpdateSerializer,
        responses={200: TriggerSerializer, **EDIT_ERRORS},
    )
    def patch(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        trigger = _trigger(version, key)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        fields = self.body(TriggerUpdateSerializer, partial=True)
        trigger = triggers.update_trigger(trigger, user=request.user, **fields)
        return Response(self.out(TriggerSerializer, trigger))

    @extend_schema(
        summary="Remove a trigger from a draft",
        responses={204: None, **error_responses(403, 404, 409)},
    )
    def delete(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        trigger = _trigger(version, key)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        triggers.delete_trigger(trigger, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PauseView(ApiView):
    serializer_class = PauseSerializer
    paused = True

    def post(self, request, code: str):
        process = lookups.process(request, code)
        permissions.require(request.user, permissions.PUBLISH, "pause or resume processes")
        process = triggers.set_paused(process, self.paused, user=request.user)
        return Response(self.out(PauseSerializer, process))


class ProcessPause(_PauseView):
    paused = True

    @extend_schema(
        summary="Pause a process: its triggers stop firing (explicit starts still work)",
        request=None,
        responses={200: PauseSerializer, **error_responses(403, 404)},
    )
    def post(self, request, code: str):
        return super().post(request, code)


class ProcessResume(_PauseView):
    paused = False

    @extend_schema(
        summary="Resume a paused process: each trigger fires next at its next time from now",
        request=None,
        responses={200: PauseSerializer, **error_responses(403, 404)},
    )
    def post(self, request, code: str):
        return super().post(request, code)
