"""Webhooks: where audit events are delivered, and the log of every delivery."""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.utils import timezone


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class WebhookEndpoint(models.Model):
    url = models.CharField(max_length=500)  # checked by engine.webhooks.urls (SSRF policy)
    description = models.CharField(max_length=200, blank=True)
    # Action names ("run.completed"), prefixes ("workitem.*"), or empty / "*" for all.
    event_types = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=100, default=new_secret)
    # After a rotation the old secret still signs (a second signature) until
    # previous_secret_until, so receivers can switch without losing messages.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)  # extra request headers
    enabled = models.BooleanField(default=True)
    tenant_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "pk"]
        permissions = [("manage_webhooks", "Can add, change and delete webhook endpoints")]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        # Model forms (the admin) get the same URL rules as the services.
        from django.core.exceptions import ValidationError

        from engine.webhooks.addresses import validate_url

        try:
            self.url = validate_url(self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from exc

    def wants(self, action: str) -> bool:
        """Does this endpoint subscribe to ``action``?"""
        types = [t for t in (self.event_types or []) if t]
        if not types or "*" in types:
            return True
        for pattern in types:
            if pattern == action:
                return True
            if pattern.endswith(".*") and action.startswith(pattern[:-1]):
                return True
        return False

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            keys.append(self.previous_secret)
        return keys


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"  # not tried yet
    FAILED = "failed", "Failed"  # the last attempt failed; another one is due at next_attempt_at
    SUCCEEDED = "succeeded", "Succeeded"
    GIVEN_UP = "given_up", "Given up"  # every attempt failed


OPEN_DELIVERY_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)


class WebhookDelivery(models.Model):
    """One audit event on its way to one endpoint: the ledger the queue only rings for."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("engine.AuditEvent", on_delete=models.CASCADE, related_name="+")
    # The Standard Webhooks message id: the same for every attempt, so receivers dedupe on it.
    message_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due (None once finished). A worker sending it
    # pushes it forward first: that claim makes a duplicate message a no-op.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a queue message was last sent for it; the reconciler sends again if
    # nothing happened for WAYMARK_RECONCILE_AFTER_SECONDS.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # The exact body, fixed at the first attempt so every retry sends the same bytes.
    payload = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_time"),
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(state__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.message_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_DELIVERY_STATES
