"""Who the caller is: the user, their tenant, their roles (groups) and permissions."""

from __future__ import annotations

from rest_framework import serializers


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField(help_text="first and last name, or empty")
    is_superuser = serializers.BooleanField(help_text="holds every permission")
    tenant = serializers.DictField(
        allow_null=True, help_text="as WAYMARK_TENANT_RESOLVER gives it; null: no tenancy"
    )
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="the groups the user is in: what activities' roles and groups name",
    )
    permissions = serializers.ListField(
        child=serializers.CharField(),
        help_text="Waymark's permissions held, e.g. engine.manage_runs",
    )
    can = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="design, publish, manage_runs, manage_workitems, view_runs, view_audit, "
        "manage_webhooks: what the caller may do",
    )


class NoQuery(serializers.Serializer):
    """An endpoint that takes no query parameters."""
