"""versions/{number}/activities/ and versions/{number}/transitions/: editing a draft.

Lookups come first (404), then the permission (403), then the service, which
refuses a published or retired version (409) and normalizes conditions.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from engine import permissions
from engine.api import lookups
from engine.api.filters import ActivityQuery, TransitionQuery
from engine.api.serializers import (
    ActivitySerializer,
    ActivityUpdateSerializer,
    TransitionSerializer,
    TransitionUpdateSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.models import Activity, Transition, Version
from engine.services import definitions

EDIT_ERRORS = error_responses(400, 403, 404, 409)


def _activity(version: Version, key: str) -> Activity:
    found = version.activities.filter(key=key).first()
    if found is None:
        raise Http404(f"There is no activity {key!r} in this version.")
    return found


def _transition(version: Version, key: str) -> Transition:
    found = version.transitions.select_related("source", "target").filter(key=key).first()
    if found is None:
        raise Http404(f"There is no transition {key!r} in this version.")
    return found


def _ends(version: Version, fields: dict) -> dict:
    """Replace the source/target activity keys with the activities (400 if unknown)."""
    problems = {}
    for end in ("source", "target"):
        if end in fields:
            activity = version.activities.filter(key=fields[end]).first()
            if activity is None:
                problems[end] = [f"There is no activity {fields[end]!r} in this version."]
            fields[end] = activity
    if problems:
        raise ValidationError(problems)
    return fields


class ActivityList(ApiView):
    serializer_class = ActivitySerializer

    @extend_schema(
        summary="The activities of a version",
        parameters=[ActivityQuery],
        responses={200: ActivitySerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        params = self.query(ActivityQuery)
        return self.listing(version.activities.all(), ActivityQuery, params, ActivitySerializer)

    @extend_schema(
        summary="Add an activity to a draft",
        request=ActivitySerializer,
        responses={201: ActivitySerializer, **EDIT_ERRORS},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        fields = self.body(ActivitySerializer)
        activity = definitions.add_activity(
            version, fields.pop("kind"), key=fields.pop("key", None), user=request.user, **fields
        )
        return Response(self.out(ActivitySerializer, activity), status=status.HTTP_201_CREATED)


class ActivityDetail(ApiView):
    serializer_class = ActivitySerializer

    @extend_schema(
        summary="An activity", responses={200: ActivitySerializer, **error_responses(404)}
    )
    def get(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        return Response(self.out(ActivitySerializer, _activity(version, key)))

    @extend_schema(
        summary="Change an activity of a draft (its key stays)",
        request=ActivityUpdateSerializer,
        responses={200: ActivitySerializer, **EDIT_ERRORS},
    )
    def patch(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        activity = _activity(version, key)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        fields = self.body(ActivityUpdateSerializer, partial=True)
        activity = definitions.update_activity(activity, user=request.user, **fields)
        return Response(self.out(ActivitySerializer, activity))

    @extend_schema(
        summary="Remove an activity (and its transitions) from a draft",
        responses={204: None, **error_responses(403, 404, 409)},
    )
    def delete(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        activity = _activity(version, key)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        definitions.delete_activity(activity, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransitionList(ApiView):
    serializer_class = TransitionSerializer

    @extend_schema(
        summary="The transitions of a version",
        parameters=[TransitionQuery],
        responses={200: TransitionSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        params = self.query(TransitionQuery)
        rows = version.transitions.select_related("source", "target")
        return self.listing(rows, TransitionQuery, params, TransitionSerializer)

    @extend_schema(
        summary="Connect two activities of a draft (the condition is normalized)",
        request=TransitionSerializer,
        responses={201: TransitionSerializer, **EDIT_ERRORS},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        fields = _ends(version, dict(self.body(TransitionSerializer)))
        transition = definitions.add_transition(
            version, fields.pop("source"), fields.pop("target"), user=request.user, **fields
        )
        return Response(self.out(TransitionSerializer, transition), status=status.HTTP_201_CREATED)


class TransitionDetail(ApiView):
    serializer_class = TransitionSerializer

    @extend_schema(
        summary="A transition", responses={200: TransitionSerializer, **error_responses(404)}
    )
    def get(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        return Response(self.out(TransitionSerializer, _transition(version, key)))

    @extend_schema(
        summary="Change a transition of a draft (the condition is normalized)",
        request=TransitionUpdateSerializer,
        responses={200: TransitionSerializer, **EDIT_ERRORS},
    )
    def patch(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        transition = _transition(version, key)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        fields = _ends(version, dict(self.body(TransitionUpdateSerializer, partial=True)))
        transition = definitions.update_transition(transition, user=request.user, **fields)
        return Response(self.out(TransitionSerializer, transition))

    @extend_schema(
        summary="Remove a transition from a draft",
        responses={204: None, **error_responses(403, 404, 409)},
    )
    def delete(self, request, code: str, number: int, key: str):
        version = lookups.version(request, code, number)
        transition = _transition(version, key)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        version.ensure_draft()
        definitions.delete_transition(transition, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
