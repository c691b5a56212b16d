"""Talking to a Waymark server over HTTP (its REST API). No Django here: any Python can use it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import requests

from waymark_client.errors import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    TaskNotFoundError,
    WorkflowConfigurationError,
    WorkflowExecutionError,
    WorkflowNotFoundError,
)


class HttpTransport:
    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0, session=None):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WorkflowConfigurationError(
                f"The Waymark URL {base_url!r} is not an http(s) URL such as "
                "'https://waymark.example.com'."
            )
        if not token or not str(token).strip():
            raise WorkflowConfigurationError("A Waymark token is needed with a Waymark URL.")
        self.api = base_url.rstrip("/") + "/api/v1/"
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Token {str(token).strip()}", "Accept": "application/json"}
        )

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
        body = {"process": process_code, "data": data, "business_key": business_key}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("POST", "runs/", json=body, headers=headers, wait=wait)

    def run(self, process_code: str, run_id: int, *, wait: float | None = None) -> dict:
        missing = f"There is no run {run_id}."
        run = self._call("GET", f"runs/{int(run_id)}/", missing=missing, wait=wait)
        if run.get("process") != process_code:
            raise ExecutionNotFoundError(f"Run {run_id} is not a run of {process_code!r}.", 404)
        return run

    def cancel(self, process_code: str, run_id: int, reason: str = "") -> dict:
        self.run(process_code, run_id)  # only a run of this workflow
        path = f"runs/{int(run_id)}/cancel/"
        return self._call("POST", path, json={"reason": reason}, missing=f"No run {run_id}.")

    def console_url(self, process_code: str, run_id: int) -> str:
        return self.run(process_code, run_id)["url"]

    # Signals and tasks --------------------------------------------------------------------

    def signal(self, name: str, payload: dict, correlation: Any = None) -> dict:
        body = {"name": name, "payload": payload, "correlation": correlation}
        return self._call("POST", "signals/", json=body)

    def tasks(self, params: dict[str, Any]) -> list[dict]:
        """Every page of the workitems list for ``params``."""
        found: list[dict] = []
        page = 1
        while True:
            answer = self._call("GET", "workitems/", params={**params, "page": page})
            found += answer.get("results") or []
            if not answer.get("next"):
                return found
            page += 1

    def complete(self, task_id: int, body: dict) -> dict:
        path = f"workitems/{int(task_id)}/complete/"
        missing = f"There is no task {task_id}."
        return self._call("POST", path, json=body, missing=missing, not_found=TaskNotFoundError)

    # -----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        missing: str = "",
        not_found: type[WorkflowExecutionError] = ExecutionNotFoundError,
        wait: float | None = None,
        **kwargs,
    ) -> dict:
        url = self.api + quote(path, safe="/")
        timeout = self.timeout
        if wait is not None:
            kwargs["params"] = {**kwargs.get("params", {}), "wait": wait}
            timeout += float(wait)  # the server holds the answer that long
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.exceptions.InvalidURL as exc:
            raise WorkflowConfigurationError(f"The Waymark URL is not valid: {exc}") from exc
        except requests.RequestException as exc:
            raise WorkflowExecutionError(f"Could not reach Waymark at {self.api}: {exc}") from exc
        body = _json(response)
        if response.status_code < 400 and isinstance(body, dict):
            return body
        raise _error(response.status_code, body, url, missing, not_found)


def _json(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error(
    status: int, body: Any, url: str, missing: str, not_found: type[WorkflowExecutionError]
) -> Exception:
    if not isinstance(body, dict) or "detail" not in body:
        if status < 400:
            return WorkflowConfigurationError(f"{url} did not answer with Waymark's JSON.")
        return (WorkflowConfigurationError if status == 404 else WorkflowExecutionError)(
            f"{url} answered {status} without a Waymark error body: is the URL Waymark's?"
        )
    detail, code = str(body.get("detail", "")), body.get("code", "")
    if status == 401:
        return WorkflowConfigurationError(f"Waymark refused the token: {detail}")
    if code in ("unknown_process", "not_published"):
        return WorkflowNotFoundError(detail)
    if status == 404:
        return not_found(missing or detail, status, code)
    if status in (400, 413):
        return InvalidWorkflowArgumentsError(detail, body.get("errors") or [])
    return WorkflowExecutionError(f"Waymark answered {status}: {detail}", status, code)
