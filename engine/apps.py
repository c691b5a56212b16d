from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Waymark engine"

    def ready(self) -> None:
        from engine import (
            checks,  # noqa: F401  (registers the system checks)
            demo_handlers,  # noqa: F401  (the demo process's handlers)
        )
