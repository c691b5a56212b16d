import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Waymark engine"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from engine import (
            checks,  # noqa: F401  (registers the system checks)
            checks_goflow,  # noqa: F401  (GOFLOW_* settings: waymark.W1xx)
            checks_security,  # noqa: F401  (what designers may reach: waymark.W2xx)
        )
        from engine.handlers import load_modules
        from engine.models import AuditEvent, WebhookEndpoint
        from engine.scheduler import install_on_migrate
        from engine.webhooks.delivery import forget_endpoints, on_audit_event_saved

        # The administrator's handler modules register their @handler functions now,
        # once; one that fails to import is reported by the check waymark.E010.
        for module, error in load_modules():
            log.error("handler module %s: %s", module, error)
        # Deliveries are written in the event's own transaction (durable), not after commit.
        post_save.connect(on_audit_event_saved, sender=AuditEvent, dispatch_uid="waymark.webhooks")
        # After ``migrate``: install the scheduler backend's periodic schedules (no manual step).
        post_migrate.connect(install_on_migrate, dispatch_uid="waymark.install_schedules")
        for signal in (post_save, post_delete):
            signal.connect(
                forget_endpoints, sender=WebhookEndpoint, dispatch_uid="waymark.endpoints"
            )

        _connect_model_events()
        _connect_date_events()


def _connect_model_events() -> None:
    """model_event triggers: every model's saves, looked up in a cache (engine.runtime)."""
    from django.db.models.signals import post_delete, post_init, post_save, pre_save

    from engine.runtime import model_events as events

    post_init.connect(events.on_init, dispatch_uid="waymark.model_events.init")
    pre_save.connect(events.on_pre_save, dispatch_uid="waymark.model_events.pre_save")
    post_save.connect(events.on_post_save, dispatch_uid="waymark.model_events.post_save")
    post_delete.connect(events.on_post_delete, dispatch_uid="waymark.model_events.delete")
    # Publishing, retiring, rolling back (Version.status) and pausing (Process.paused):
    # this process rebuilds its cache of armed triggers at once; others within ~2 s.
    from engine.models import Process, Version

    for sender in (Process, Version):
        post_save.connect(
            events.on_arming_changed, sender=sender, dispatch_uid=f"waymark.me.{sender}"
        )


def _connect_date_events() -> None:
    """date_event triggers: a saved record's date moves its armed fire (any model)."""
    from django.db.models.signals import post_delete, post_save

    from engine.runtime import date_events

    post_save.connect(date_events.on_record_saved, dispatch_uid="waymark.date_events.save")
    post_delete.connect(date_events.on_record_deleted, dispatch_uid="waymark.date_events.delete")
