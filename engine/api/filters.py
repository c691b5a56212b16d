"""Query parameters of the list endpoints: filters, ``ordering``, ``page`` and ``page_size``.

Each list declares its parameters in one serializer here; the view checks the
query against it (engine/api/views/base.py, ``ApiView.query``) and the OpenAPI
schema shows exactly those parameters. A parameter the list does not take, a
value of the wrong type and an unknown ordering field are a 400 that names what
the list does take: a misspelt filter never silently answers every row.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from engine.api.converters import MAX_ID
from engine.models import VersionStatus, WorkItemState

MAX_PAGE_SIZE = 200

# Accepted on every endpoint: DRF's format override (only "json" is served).
ALWAYS_ALLOWED = frozenset({"format"})


class Pagination(PageNumberPagination):
    """Pages of 50 (PAGE_SIZE); ``page_size`` up to MAX_PAGE_SIZE, checked by ListQuery."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_schema_operation_parameters(self, view) -> list:
        # ListQuery describes page and page_size, with their limits.
        return []


def ordering_field(fields: dict[str, str], default: str) -> serializers.ChoiceField:
    """``ordering``: one of ``fields`` (API names), ``-`` in front for descending."""
    choices = [option for name in fields for option in (name, f"-{name}")]
    allowed = ", ".join(choices)
    return serializers.ChoiceField(
        choices=choices,
        required=False,
        help_text=f"Sort by one field, '-' for descending (default {default}): {allowed}.",
        error_messages={"invalid_choice": f'Unknown ordering "{{input}}": use one of {allowed}.'},
    )


def id_field(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


class ListQuery(serializers.Serializer):
    """Parameters every list takes. Subclasses add filters and, with ORDERING, ``ordering``."""

    # API name -> model field; tied rows keep a stable order by primary key.
    ORDERING: dict[str, str] = {}
    DEFAULT_ORDERING = "-id"

    page = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Page number, from 1."
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Rows per page: 50 unless given, at most {MAX_PAGE_SIZE}.",
    )

    @classmethod
    def order(cls, rows: QuerySet, params: dict) -> QuerySet:
        """``rows`` sorted as ``ordering`` asks (or by default), then by primary key."""
        wanted = params.get("ordering") or cls.DEFAULT_ORDERING
        name = wanted.removeprefix("-")
        field = cls.ORDERING.get(name, "pk")
        descending = wanted.startswith("-")
        sign = "-" if descending else ""
        keys = [f"{sign}{field}"]
        if field != "pk":
            keys.append(f"{sign}pk")
        return rows.order_by(*keys)


class PageQuery(ListQuery):
    """A list with no filters and no choice of order."""


class ActivityQuery(ListQuery):
    ORDERING = {"id": "pk", "key": "key", "name": "name", "kind": "kind"}
    DEFAULT_ORDERING = "id"

    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)


class TransitionQuery(ListQuery):
    ORDERING = {"id": "pk", "key": "key", "name": "name"}
    DEFAULT_ORDERING = "id"

    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)


class TriggerQuery(ListQuery):
    ORDERING = {"id": "pk", "key": "key", "kind": "kind"}
    DEFAULT_ORDERING = "key"

    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)


class ProcessQuery(ListQuery):
    ORDERING = {"code": "code", "title": "title", "created_at": "created_at", "id": "pk"}
    DEFAULT_ORDERING = "code"

    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)


class VersionQuery(ListQuery):
    ORDERING = {
        "number": "number",
        "created_at": "created_at",
        "published_at": "published_at",
    }
    DEFAULT_ORDERING = "-number"

    status = serializers.ChoiceField(
        choices=VersionStatus.values, required=False, help_text="draft, published or retired"
    )
    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)


class RunQuery(ListQuery):
    ORDERING = {
        "id": "pk",
        "started_at": "started_at",
        "ended_at": "ended_at",
        "process": "process__code",
        "business_key": "business_key",
    }
    DEFAULT_ORDERING = "-started_at"

    process = serializers.CharField(required=False, max_length=64, help_text="a process code")
    state = serializers.CharField(
        required=False,
        max_length=16,
        help_text="ACTIVE, SUCCEEDED, FAILED, CANCELLED, or a detailed state: running, "
        "waiting, suspended, failed, completed, cancelled, failed_at_end",
    )
    business_key = serializers.CharField(required=False, max_length=200)
    trigger = serializers.CharField(
        required=False, max_length=64, help_text="the key of the trigger that started the run"
    )
    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)


class WorkItemQuery(ListQuery):
    ORDERING = {
        "id": "pk",
        "created_at": "created_at",
        "completed_at": "completed_at",
        "due_at": "due_at",
        "sla_breach_at": "sla_breach_at",
    }
    DEFAULT_ORDERING = "-created_at"
    # Any of these, without a box, searches every task the caller may see (box "all").
    FILTERS = ("run", "process", "activity", "state", "assignee")

    box = serializers.ChoiceField(
        choices=["mine", "available", "done", "all"],
        required=False,
        help_text="mine (open tasks assigned to you), available (offered to you, unclaimed), "
        "done (completed by you) or all (every task you may see). Without a box: mine, or "
        "all when another filter is given.",
    )
    run = id_field("a run id")
    process = serializers.CharField(required=False, max_length=64, help_text="a process code")
    activity = serializers.CharField(
        required=False, max_length=64, help_text="an activity key (activity_key)"
    )
    state = serializers.ChoiceField(choices=WorkItemState.values, required=False)
    assignee = serializers.CharField(
        required=False, max_length=150, help_text="the user name of the assignee"
    )
    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)

    @classmethod
    def chosen_box(cls, params: dict) -> str:
        if "box" in params:
            return params["box"]
        return "all" if any(name in params for name in cls.FILTERS) else "mine"


class AuditQuery(ListQuery):
    ORDERING = {"id": "pk", "created_at": "created_at"}
    DEFAULT_ORDERING = "-created_at"

    action = serializers.CharField(
        required=False, max_length=64, help_text="e.g. run.started; 'run.' for every run event"
    )
    process = serializers.CharField(required=False, max_length=64, help_text="a process code")
    instance = id_field("a run id")
    workitem = id_field("a workitem id")
    actor = serializers.CharField(required=False, max_length=150, help_text="a user name")
    since = serializers.DateTimeField(required=False, help_text="created_at >= since")
    until = serializers.DateTimeField(required=False, help_text="created_at < until")
    ordering = ordering_field(ORDERING, DEFAULT_ORDERING)
