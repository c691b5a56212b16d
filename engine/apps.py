from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Waymark engine"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from engine import (
            checks,  # noqa: F401  (registers the system checks)
            demo_handlers,  # noqa: F401  (the demo process's handlers)
        )
        from engine.models import AuditEvent, WebhookEndpoint
        from engine.webhooks.delivery import forget_endpoints, on_audit_event_saved

        # Deliveries are written in the event's own transaction (durable), not after commit.
        post_save.connect(on_audit_event_saved, sender=AuditEvent, dispatch_uid="waymark.webhooks")
        for signal in (post_save, post_delete):
            signal.connect(
                forget_endpoints, sender=WebhookEndpoint, dispatch_uid="waymark.endpoints"
            )
