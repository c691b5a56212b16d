"""Reading a webhook endpoint's signing secret on purpose (the REST API's explicit action).

Creating, changing, rotating and deleting endpoints is engine.webhooks.endpoints;
this only adds the one read that must leave a trace: who looked at a secret.
"""

from __future__ import annotations

from django.db import transaction

from engine.errors import NotAllowed
from engine.models import WebhookEndpoint
from engine.runtime import audit
from engine.webhooks.endpoints import can_manage


def reveal_secret(endpoint: WebhookEndpoint, *, user=None) -> WebhookEndpoint:
    """``endpoint`` with its secret, for a person who may manage webhooks; audited
    ``webhook.secret_revealed`` (the secret itself is never in the audit trail)."""
    if user is not None and not can_manage(user):
        raise NotAllowed("You may not manage webhook endpoints.")
    with transaction.atomic():
        audit.record(
            "webhook.secret_revealed",
            actor=user,
            metadata={"endpoint_id": endpoint.pk, "url": endpoint.url},
            tenant_id=endpoint.tenant_id,
        )
    return endpoint
