"""Pieces every serializer module shares: id bounds, schema checks, names, links, errors."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from rest_framework import serializers

from engine.schemas import check_schema

MAX_ID = 2**31 - 1


def check_json_schema(value: dict) -> dict:
    """The same check as every other door (engine.schemas): meta-schema, inner $refs, RE2."""
    problems = check_schema(value)
    if problems:
        raise serializers.ValidationError(problems)
    return value


def username(user) -> str | None:
    return user.get_username() if user is not None else None


def run_page_url(run_id: int) -> str:
    # The run page is built in parallel with the API; until its URL name
    # exists the link still points where it will live.
    try:
        return reverse("monitoring:run_detail", args=[run_id])
    except NoReverseMatch:
        return f"/runs/{run_id}/"


class ErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ErrorItemSerializer(many=True)
