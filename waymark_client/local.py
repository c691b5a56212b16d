"""Running workflows inside the Django project that hosts Waymark: straight to the engine.

Imported only in that mode, so the HTTP client never needs Django.
"""

from __future__ import annotations

from typing import Any

from waymark_client.errors import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    WorkflowConfigurationError,
    WorkflowExecutionError,
    WorkflowNotFoundError,
)


class LocalTransport:
    """Calls engine.services.runtime as ``user`` (None: the system, which sees every run)."""

    def __init__(self, *, user=None, site_url: str = ""):
        try:
            from django.apps import apps

            ready = apps.ready and apps.is_installed("engine")
        except ImportError:
            ready = False
        if not ready:
            raise WorkflowConfigurationError(
                "No Waymark URL and token are configured (WAYMARK_URL / WAYMARK_TOKEN), and "
                "this is not a Django project with Waymark's engine installed."
            )
        self.user = user
        self.site_url = (site_url or "").rstrip("/")

    def start(self, process_code: str, data: dict, business_key: str = "") -> dict:
        from engine.services import runtime

        try:
            run = runtime.start_run(process_code, data, business_key=business_key, user=self.user)
        except (runtime.UnknownProcess, runtime.NotPublished) as exc:
            raise WorkflowNotFoundError(exc.message) from exc
        except runtime.InvalidData as exc:
            raise InvalidWorkflowArgumentsError(exc.message, exc.errors) from exc
        except runtime.EngineError as exc:
            raise WorkflowExecutionError(exc.message) from exc
        return self._as_dict(run)

    def run(self, process_code: str, run_id: int) -> dict:
        from engine import permissions
        from engine.models import ProcessInstance

        runs = ProcessInstance.objects.select_related("process", "version")
        if self.user is not None:
            runs = permissions.visible_runs(self.user).select_related("process", "version")
        run = runs.filter(pk=run_id, process__code=process_code).first()
        if run is None:
            raise ExecutionNotFoundError(f"There is no run {run_id} of {process_code!r}.")
        return self._as_dict(run)

    def console_url(self, process_code: str, run_id: int) -> str:
        return self.run(process_code, run_id)["url"]

    def _as_dict(self, run) -> dict[str, Any]:
        from engine.api.serializers import run_page_url

        return {
            "id": run.pk,
            "process": run.process.code,
            "version": run.version.number,
            "state": run.status,
            "detailed_state": run.state,
            "business_key": run.business_key,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "result": run.result,
            "url": self.site_url + run_page_url(run.pk),
        }
