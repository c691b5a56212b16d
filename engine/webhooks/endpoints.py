"""The only writer of webhook endpoints. Every door (pages, API, admin actions) calls these.

``user=None`` means the system (a script): no permission check. People need
``engine.manage_webhooks`` (superusers have it). Bad input raises
``InvalidData`` listing every problem by field; nothing is saved then.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from engine import permissions
from engine.conf import waymark_setting
from engine.errors import InvalidData, NotAllowed
from engine.models import WebhookEndpoint
from engine.models.webhooks import new_secret
from engine.runtime import audit
from engine.webhooks.addresses import validate_url
from engine.webhooks.delivery import RESERVED_HEADERS

PERMISSION = "engine.manage_webhooks"
EVENT_TYPE_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
MAX_HEADERS = 20


def can_manage(user) -> bool:
    return bool(user and user.is_authenticated and permissions.has(user, PERMISSION))


def _require(user) -> None:
    if user is not None and not can_manage(user):
        raise NotAllowed("You may not manage webhook endpoints.")


def parse_event_types(value: Any) -> list[str]:
    """``"run.completed, workitem.*"`` or a list -> a clean list ([] means every event)."""
    if value is None:
        return []
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("Event types must be a list of action names.")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("Event types must be action names (text).")
        item = item.strip()
        if not item:
            continue
        if item != "*" and not EVENT_TYPE_RE.match(item):
            raise ValueError(
                f"{item!r} is not an event type: use an action such as run.completed, "
                "a prefix such as workitem.*, or * for everything."
            )
        if item not in out:
            out.append(item)
    return [] if "*" in out else out


def parse_headers(value: Any) -> dict[str, str]:
    """A JSON object (or its text) of extra header names to values."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f'Extra headers must be a JSON object, e.g. {{"Authorization": "Bearer ..."}}: '
                f"{exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from exc
    if not isinstance(value, dict):
        raise ValueError('Extra headers must be a JSON object, e.g. {"X-Team": "billing"}.')
    if len(value) > MAX_HEADERS:
        raise ValueError(f"At most {MAX_HEADERS} extra headers.")
    out: dict[str, str] = {}
    for name, header_value in value.items():
        if not HEADER_NAME_RE.match(name):
            raise ValueError(f"{name!r} is not a valid header name.")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"{name!r} is set by Waymark and cannot be overridden.")
        if not isinstance(header_value, str | int | float) or isinstance(header_value, bool):
            raise ValueError(f"The value of {name!r} must be text.")
        header_value = str(header_value)
        if "\r" in header_value or "\n" in header_value or len(header_value) > 2000:
            raise ValueError(f"The value of {name!r} must be one line of at most 2000 characters.")
        out[name] = header_value
    return out


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate every given field; InvalidData lists all problems at once."""
    errors: list[dict] = []
    clean: dict[str, Any] = {}
    if "url" in fields:
        try:
            clean["url"] = validate_url(fields["url"])
        except ValidationError as exc:
            errors += [{"path": "url", "message": m} for m in exc.messages]
    if "description" in fields:
        description = str(fields["description"] or "").strip()
        if len(description) > 200:
            errors.append({"path": "description", "message": "At most 200 characters."})
        clean["description"] = description
    for name, parse in (("event_types", parse_event_types), ("headers", parse_headers)):
        if name in fields:
            try:
                clean[name] = parse(fields[name])
            except ValueError as exc:
                errors.append({"path": name, "message": str(exc)})
    if "enabled" in fields:
        clean["enabled"] = bool(fields["enabled"])
    if errors:
        raise InvalidData("; ".join(e["message"] for e in errors), errors)
    return clean


def create_endpoint(
    url: str,
    *,
    description: str = "",
    event_types: Any = None,
    headers: Any = None,
    enabled: bool = True,
    user=None,
    tenant_id: str = "",
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (``endpoint.secret``: show it to the person once)."""
    _require(user)
    clean = _clean(
        {
            "url": url,
            "description": description,
            "event_types": event_types,
            "headers": headers,
            "enabled": enabled,
        }
    )
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(tenant_id=tenant_id or "", **clean)
        _audit("webhook.created", endpoint, user)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, user=None, **fields: Any) -> WebhookEndpoint:
    """Change url, description, event_types, headers and/or enabled."""
    _require(user)
    unknown = set(fields) - {"url", "description", "event_types", "headers", "enabled"}
    if unknown:
        raise InvalidData(f"Unknown fields: {', '.join(sorted(unknown))}.")
    clean = _clean(fields)
    with transaction.atomic():
        for name, value in clean.items():
            setattr(endpoint, name, value)
        endpoint.save()
        _audit("webhook.changed", endpoint, user, fields=sorted(clean))
    return endpoint


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, *, user=None) -> WebhookEndpoint:
    _require(user)
    with transaction.atomic():
        endpoint.enabled = enabled
        endpoint.save(update_fields=["enabled", "updated_at"])
        _audit("webhook.enabled" if enabled else "webhook.disabled", endpoint, user)
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, *, user=None) -> str:
    """A new secret; the old one keeps signing too for WAYMARK_WEBHOOK_SECRET_GRACE_SECONDS."""
    _require(user)
    grace = float(waymark_setting("WEBHOOK_SECRET_GRACE_SECONDS"))
    with transaction.atomic():
        endpoint.previous_secret = endpoint.secret if grace > 0 else ""
        until = timezone.now() + timedelta(seconds=grace) if grace > 0 else None
        endpoint.previous_secret_until = until
        endpoint.secret = new_secret()
        endpoint.save(
            update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"]
        )
        _audit("webhook.secret_rotated", endpoint, user)
    return endpoint.secret


def delete_endpoint(endpoint: WebhookEndpoint, *, user=None) -> None:
    """Delete the endpoint and its delivery log."""
    _require(user)
    with transaction.atomic():
        _audit("webhook.deleted", endpoint, user)
        endpoint.delete()


def _audit(action: str, endpoint: WebhookEndpoint, user, **extra: Any) -> None:
    # Never the secret: the audit trail is readable by more people than the endpoint.
    audit.record(
        action,
        actor=user,
        metadata={"endpoint_id": endpoint.pk, "url": endpoint.url, **extra},
        tenant_id=endpoint.tenant_id,
    )
