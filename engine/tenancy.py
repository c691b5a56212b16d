"""Tenants: which slice of the data a request or a user may see.

Two optional settings (engine/conf.py):

- ``WAYMARK_TENANT_RESOLVER``: dotted path of ``f(request_or_user) -> dict | None``
  giving the current tenant, e.g. ``{"tenant_id": "acme"}``. None: no tenant.
- ``WAYMARK_TENANT_FILTER``: dotted path of ``f(queryset, tenant) -> queryset``.
  Without it, a model with a ``tenant_id`` column is filtered on
  ``tenant["tenant_id"]``.

Every door (pages, API, scans) reads through ``scoped(queryset, who)`` and
stamps new rows with ``tenant_id_for(who)``, so one tenant never sees
another's processes, runs, workitems or audit events.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.module_loading import import_string

from engine.conf import waymark_setting


def _setting_callable(name: str):
    path = waymark_setting(name)
    if not path:
        return None
    return import_string(path) if isinstance(path, str) else path


def resolve_tenant(who: Any) -> dict | None:
    """The tenant of a request or user, or None when tenancy is off (the default)."""
    if who is None:
        return None
    resolver = _setting_callable("TENANT_RESOLVER")
    if resolver is None:
        return None
    tenant = resolver(who)
    return dict(tenant) if tenant else None


def tenant_id_for(who: Any) -> str:
    """The ``tenant_id`` to stamp on rows created for ``who`` ("" when none)."""
    tenant = resolve_tenant(who)
    return str(tenant.get("tenant_id") or "") if tenant else ""


def scoped(queryset: QuerySet, who: Any) -> QuerySet:
    """``queryset`` narrowed to the tenant of ``who`` (a request or a user).

    ``who=None`` means the system (a scan, a task, a command run for every
    tenant): nothing is filtered.
    """
    return scoped_to(queryset, resolve_tenant(who))


def scoped_to(queryset: QuerySet, tenant: dict | None) -> QuerySet:
    """``queryset`` narrowed to ``tenant`` (a dict as the resolver returns; None: everything).

    For doors that know the tenant rather than a person, e.g. ``run_scans --tenant``.
    """
    if tenant is None:
        return queryset
    custom = _setting_callable("TENANT_FILTER")
    if custom is not None:
        return custom(queryset, tenant)
    lookup = _tenant_lookup(queryset.model)
    if lookup is None:
        return queryset
    return queryset.filter(**{lookup: tenant.get("tenant_id") or ""})


# Rows without a tenant column belong to the tenant of the row they hang off.
_OWNERS = ("instance", "process", "version", "endpoint")


def _tenant_lookup(model) -> str | None:
    """The lookup that reaches ``model``'s tenant_id, following owner foreign keys."""
    field_names = {f.name for f in model._meta.get_fields()}
    if "tenant_id" in field_names:
        return "tenant_id"
    for owner in _OWNERS:
        if owner in field_names:
            related = model._meta.get_field(owner).related_model
            inner = _tenant_lookup(related) if related is not None else None
            if inner is not None:
                return f"{owner}__{inner}"
    return None
