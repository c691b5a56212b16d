"""The editor's Dry run panel: walk the version with sample data, one wait at a time.

Each request replays the dry run from the start with the sample data and the
answers given so far (kept in the panel as JSON), plus the answer just given
to the wait it stopped at. Nothing is stored (engine.runtime.dry_run).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from designer.monitoring.schema_forms import SchemaForm, outcome_buttons
from designer.views.editor_page import version_for
from engine.core.dry_run import DryRunResult
from engine.errors import InvalidData
from engine.models import Version
from engine.permissions import DESIGN
from engine.runtime.dry_run import check_sample_data, dry_run_version

TEMPLATE = "designer/_dry_run_result.html"
INPUTS = "designer/_dry_run_inputs.html"
TASK_PREFIX = "task"
SAMPLE_PREFIX = "sample"


class _Refused(Exception):
    """An answer the panel cannot use: said next to the question, nothing lost."""


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise _Refused(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
    if not isinstance(value, dict):
        raise _Refused(f"{what} must be a JSON object ({{...}}).")
    return value


def _sample_form(version: Version, post=None) -> SchemaForm | None:
    """The process's start form for the sample data (None when it has no fields)."""
    form = SchemaForm(version.process.input_schema or {}, post, prefix=SAMPLE_PREFIX)
    return None if form.free_form else form


def _sample_data(post, sample_form: SchemaForm | None) -> dict[str, Any]:
    if sample_form is None:
        return _json_object(post.get("data", ""), "The sample data")
    if not sample_form.is_valid():
        raise _Refused("The sample data is not valid: see the fields.")
    return sample_form.data_object()


def _json_text(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, sort_keys=True, default=str, ensure_ascii=False)


@login_required
@require_http_methods(["GET", "POST"])
def dry_run(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: the sample data's fields; POST: the dry run so far, one more answer given."""
    version = version_for(request, code, number)
    if request.method == "GET":
        return render(request, INPUTS, {"sample_form": _sample_form(version), "data_mode": "form"})
    post = request.POST
    context: dict[str, Any] = {
        "may_call": request.user.has_perm(DESIGN),
        "answers_json": "{}",
        "dry_run_url": request.path,
    }
    mode = "form" if post.get("data_mode") == "form" else "json"
    sample_form = _sample_form(version, post) if mode == "form" else None
    try:
        data = _sample_data(post, sample_form)
        answers = {} if post.get("restart") else _json_object(post.get("answers", ""), "Answers")
        if sample_form is not None:
            check_sample_data(version, data)  # its problems go next to the fields
    except (_Refused, InvalidData) as exc:
        if sample_form is not None and isinstance(exc, InvalidData):
            sample_form.add_engine_errors(_prefixed(exc.errors, "data"))
        context.update(error=str(exc), inputs_again=sample_form is not None, data_mode=mode)
        return render(request, TEMPLATE, {**context, "sample_form": sample_form})
    options = {
        "pass_waits": post.get("pass_waits") == "on",
        "call_handlers": post.get("call_handlers") == "on" and context["may_call"],
        # The answers come back from the page: a crafted {"call": true} calls nothing.
        "may_call": context["may_call"],
    }
    task_form = _task_form(version, post)
    try:
        answered = _with_answer(version, answers, post, context["may_call"], task_form)
        result = dry_run_version(version, data, answered, **options)
        answers = answered
    except (_Refused, InvalidData) as exc:
        # Show where it stopped before this answer, the reasons next to the fields.
        context["answer_error"] = str(exc)
        if task_form is not None and isinstance(exc, InvalidData):
            lead = f"answers.{post.get('answer_for', '')}.form"
            task_form.add_engine_errors(_prefixed(exc.errors, lead))
        context["task_form"] = task_form
        try:
            result = dry_run_version(version, data, answers, **options)
        except InvalidData as first:
            return render(request, TEMPLATE, {**context, "error": str(first)})
    context.update(_result_context(result, answers, context.get("task_form")))
    return render(request, TEMPLATE, context)


def _task_form(version: Version, post) -> SchemaForm | None:
    """The human task's form just filled in, bound (None for any other answer)."""
    if post.get("action") != "outcome" or post.get("timeout"):
        return None
    activity = version.graph().activities.get(post.get("answer_for", ""))
    if activity is None:
        return None
    return SchemaForm(activity.form_schema or {}, post, prefix=TASK_PREFIX)


def _prefixed(errors: list[dict], lead: str) -> list[dict]:
    """The engine's errors under ``lead`` (e.g. ``data``), with paths inside it."""
    found = []
    for error in errors:
        path = str(error.get("path") or "")
        if path == lead or path.startswith(f"{lead}."):
            found.append({"path": path[len(lead) + 1 :], "message": error.get("message", "")})
    return found


def _with_answer(
    version: Version, answers: dict, post, may_call: bool, task_form: SchemaForm | None
) -> dict:
    """``answers`` with the answer just given (one more for its activity's list)."""
    key = post.get("answer_for", "")
    action = "timeout" if post.get("timeout") else post.get("action", "")
    if not key or not action:
        return answers
    if key not in version.graph().activities:
        raise _Refused(f"There is no activity {key!r}.")
    answer: dict[str, Any]
    if action == "outcome" and task_form is not None:
        if not task_form.is_valid():
            raise _Refused("The form is not valid: see the fields.")
        answer = {"form": task_form.data_object(), "outcome": post.get("outcome") or None}
    elif action == "output":
        output = _json_object(post.get("output", ""), "The sample output")
        answer = {"output": output, "outcome": post.get("output_outcome") or None}
    elif action == "call":
        if not may_call:
            raise _Refused("Only people who may design processes may call handlers.")
        answer = {"call": True}
    elif action == "pass":
        answer = {"pass": True, "output": _json_object(post.get("output", ""), "The data")}
    elif action == "timeout":
        answer = {"timeout": True}
    elif action == "take":
        answer = {"take": post.get("take", "")}
    else:
        raise _Refused(f"Unknown action {action!r}.")
    listed = answers.get(key, [])
    listed = list(listed) if isinstance(listed, list) else [listed]
    return {**answers, key: [*listed, answer]}


def _result_context(
    result: DryRunResult, answers: dict, task_form: SchemaForm | None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "result": result,
        "answers_json": json.dumps(answers),
        "steps": [
            {"step": step, "set_json": _json_text(step.set_data) if step.set_data else ""}
            for step in result.steps
        ],
        "final_data": _json_text(result.data, indent=2),
    }
    waiting = result.waiting
    if waiting is not None and waiting.needs == "outcome":
        context["outcomes"] = outcome_buttons(waiting.outcomes, waiting.form_schema)
        context["task_form"] = task_form or SchemaForm(waiting.form_schema, prefix=TASK_PREFIX)
    return context
