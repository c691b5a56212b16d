"""Running workflows inside the Django project that hosts Waymark: straight to the engine.

Imported only in that mode, so the HTTP client never needs Django. Runs and
tasks come back in the REST API's shapes (its serializers), so a Workflow
reads the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waymark_client.errors import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    TaskNotFoundError,
    WorkflowConfigurationError,
    WorkflowExecutionError,
    WorkflowNotFoundError,
)


@contextmanager
def _translated() -> Iterator[None]:
    """The engine's errors as the client's."""
    from engine.services import runtime

    try:
        yield
    except (runtime.UnknownProcess, runtime.NotPublished) as exc:
        raise WorkflowNotFoundError(exc.message) from exc
    except runtime.InvalidData as exc:
        raise InvalidWorkflowArgumentsError(exc.message, exc.errors) from exc
    except runtime.EngineError as exc:
        raise WorkflowExecutionError(exc.message, exc.status, exc.code) from exc


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

    # Runs ------------------------------------------------------------------------------

    def start(
        self,
        process_code: str,
        data: dict,
        business_key: str = "",
        *,
        wait: float | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        from engine.services import runtime

        with _translated():
            run = runtime.start(
                process_code,
                data,
                business_key=business_key,
                user=self.user,
                idempotency_key=idempotency_key,
            ).run
        if wait is not None:
            return self.run(process_code, run.pk, wait=wait)
        return self._as_dict(run)

    def run(self, process_code: str, run_id: int, *, wait: float | None = None) -> dict:
        if wait is not None:
            from engine.services import waits

            waits.wait_until_settled(int(run_id), wait)
        return self._as_dict(self._find(process_code, run_id))

    def cancel(self, process_code: str, run_id: int, reason: str = "") -> dict:
        from engine.services import runtime

        run = self._find(process_code, run_id)
        with _translated():
            runtime.cancel_run(run, user=self.user, reason=reason)
        return self.run(process_code, run.pk)

    def console_url(self, process_code: str, run_id: int) -> str:
        return self.run(process_code, run_id)["url"]

    # Signals and tasks --------------------------------------------------------------------

    def signal(self, name: str, payload: dict, correlation: Any = None) -> dict:
        from engine.services import runtime

        with _translated():
            result = runtime.send_signal(name, payload, correlation, user=self.user)
        return {
            "woken": list(result.woken),
            "started": list(result.started),
            "kept": result.kept is not None,
        }

    def tasks(self, params: dict[str, Any]) -> list[dict]:
        from engine.api.serializers import WorkItemSerializer
        from engine.models import ActivityKind, WorkItem

        rows = self._workitems().filter(activity_kind=ActivityKind.HUMAN)
        if self.user is not None and params.get("box") == "mine":
            rows = WorkItem.objects.inbox(self.user)
        elif self.user is not None and params.get("box") == "available":
            rows = WorkItem.objects.available(self.user)
        for name, lookup in (("process", "instance__process__code"), ("run", "instance_id")):
            if params.get(name) is not None:
                rows = rows.filter(**{lookup: params[name]})
        if params.get("state"):
            rows = rows.filter(state=params["state"])
        rows = rows.select_related("instance__process", "assignee", "completed_by")
        return list(WorkItemSerializer(rows.order_by("-created_at", "-pk"), many=True).data)

    def complete(self, task_id: int, body: dict) -> dict:
        from engine.api.serializers import WorkItemSerializer
        from engine.services import runtime

        workitem = self._workitems().filter(pk=int(task_id)).first()
        if workitem is None:
            raise TaskNotFoundError(f"There is no task {task_id}.", 404)
        with _translated():
            workitem = runtime.complete(workitem, user=self.user, **body)
        return dict(WorkItemSerializer(workitem).data)

    # -----------------------------------------------------------------------------------

    def _workitems(self):
        from engine import permissions
        from engine.models import WorkItem

        if self.user is None:
            return WorkItem.objects.all()
        return permissions.visible_workitems(self.user)

    def _find(self, process_code: str, run_id: int):
        from engine import permissions
        from engine.models import ProcessInstance

        runs = ProcessInstance.objects.all()
        if self.user is not None:
            runs = permissions.visible_runs(self.user)
        run = runs.select_related("process", "version", "started_by")
        run = run.filter(pk=run_id, process__code=process_code).first()
        if run is None:
            raise ExecutionNotFoundError(f"There is no run {run_id} of {process_code!r}.", 404)
        return run

    def _as_dict(self, run) -> dict[str, Any]:
        from engine.api.serializers import RunDetailSerializer, run_page_url

        shown = dict(RunDetailSerializer(run).data)
        shown["url"] = self.site_url + run_page_url(run.pk)
        return shown
