import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Waymark engine"

    def ready(self) -> None:
        from django.core.signals import setting_changed
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
        _connect_startable(post_save, post_delete)

        _connect_model_events()
        connect_record_triggers()
        setting_changed.connect(_on_setting_changed, dispatch_uid="waymark.trigger_models")


def _connect_startable(*signals) -> None:
    """A process or version saved or deleted: starts read its published version afresh."""
    from engine.models import Process, Version
    from engine.services.processes import forget_startable

    for signal in signals:
        for model in (Process, Version):
            uid = f"waymark.startable.{model.__name__}"
            signal.connect(forget_startable, sender=model, dispatch_uid=uid)


def _connect_model_events() -> None:
    """Arming changes (publish, retire, roll back, pause) refresh the armed-trigger caches."""
    from django.db.models.signals import post_save

    from engine.models import Process, Version
    from engine.runtime import model_events as events

    # Publishing, retiring, rolling back (Version.status) and pausing (Process.paused):
    # this process rebuilds its cache of armed triggers at once; others within ~2 s.
    for sender in (Process, Version):
        post_save.connect(
            events.on_arming_changed, sender=sender, dispatch_uid=f"waymark.me.{sender}"
        )


# Record triggers (model_event, date_event) may only name a model that
# WAYMARK_TRIGGER_MODELS opens (engine.runtime.record_access refuses any other
# when a trigger is saved), so their receivers are connected to those models
# alone. Connected to every model, they were sent post_init, pre_save and
# post_save by every instance the engine builds and saves: each step's
# workitems, runs and audit events paid for triggers that can never watch them.
_connected: set[type] = set()


def connect_record_triggers(**kwargs: object) -> None:
    """Connect the record-trigger receivers to the models triggers may name, only.

    Called at ready() and again whenever ``WAYMARK_TRIGGER_MODELS`` changes
    (``setting_changed``: tests, ``override_settings``), so a model opened
    later is watched from then on, and one closed is no longer.
    """
    from django.apps import apps
    from django.db.models.signals import post_delete, post_init, post_save, pre_save

    from engine.conf import waymark_setting
    from engine.runtime import date_events
    from engine.runtime import model_events as events

    receivers = (
        (post_init, events.on_init, "init"),
        (pre_save, events.on_pre_save, "pre_save"),
        (post_save, events.on_post_save, "post_save"),
        (post_delete, events.on_post_delete, "delete"),
        (post_save, date_events.on_record_saved, "date_save"),
        (post_delete, date_events.on_record_deleted, "date_delete"),
    )
    wanted = set()
    for label in waymark_setting("TRIGGER_MODELS") or ():  # a dict's keys, or a list
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue  # not installed: reported by the check waymark.W201
        if model._meta.app_label not in events.UNWATCHED_APPS:
            wanted.add(model)
    for model in _connected | wanted:
        for signal, receiver, name in receivers:
            uid = f"waymark.records.{name}.{model._meta.label}"
            if model in wanted:
                signal.connect(receiver, sender=model, dispatch_uid=uid)
            else:
                signal.disconnect(sender=model, dispatch_uid=uid)
    _connected.clear()
    _connected.update(wanted)


def _on_setting_changed(setting: str, **kwargs: object) -> None:
    if setting == "WAYMARK_TRIGGER_MODELS":
        connect_record_triggers()
