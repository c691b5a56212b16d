"""Dry-run a version: ``manage.py dry_run CODE N --data '{...}' [--answers FILE]``.

Walks the version with the sample data and prints each step, every condition
of a choice with its value, and what the run would wait for next. Nothing is
stored. ``--answers`` is a JSON file of answers by activity key (docs/designer.md,
"Dry runs"); ``--json`` prints the result as the API returns it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from engine.core.dry_run import DryRunResult, Step
from engine.errors import InvalidData
from engine.management.commands.export_process import pick_version
from engine.runtime.dry_run import dry_run_version


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{what} is not valid JSON: {exc}") from exc


class Command(BaseCommand):
    help = "Dry-run a process version against sample data (nothing is stored)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the process code")
        parser.add_argument("number", type=int, help="the version number (draft or published)")
        parser.add_argument("--data", default="{}", help="the sample start data, a JSON object")
        parser.add_argument("--answers", help="a JSON file of answers by activity key")
        parser.add_argument(
            "--pass-waits", action="store_true", help="timers, signals, subprocesses pass at once"
        )
        parser.add_argument(
            "--call-handlers", action="store_true", help="call automatic tasks' handlers"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        version = pick_version(options["code"], options["number"])
        data = _json(options["data"], "--data")
        answers = None
        if options["answers"]:
            path = Path(options["answers"])
            if not path.is_file():
                raise CommandError(f"There is no file {str(path)!r}.")
            answers = _json(path.read_text(encoding="utf-8"), str(path))
        try:
            result = dry_run_version(
                version,
                data,
                answers,
                pass_waits=options["pass_waits"],
                call_handlers=options["call_handlers"],
            )
        except InvalidData as exc:
            where = "; ".join(f"{e['path']}: {e['message']}" for e in exc.errors if e.get("path"))
            raise CommandError(f"{exc}" + (f" ({where})" if where else "")) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(describe(result))


def describe(result: DryRunResult) -> str:
    """The result as lines for people."""
    lines = [line for step in result.steps for line in _step_lines(step)]
    lines.append(f"State: {result.state}" + (f" ({result.message})" if result.message else ""))
    if result.waiting is not None:
        lines.append(_waiting_line(result))
    lines.append(f"Data: {json.dumps(result.data, sort_keys=True)}")
    return "\n".join(lines)


def _step_lines(step: Step) -> list[str]:
    head = f"{step.index}. {step.label} [{step.kind}]"
    if step.note:
        head += f": {step.note}"
    lines = [head]
    for check in step.conditions:
        if check.is_timeout:
            value = "timeout"
        elif check.is_default:
            value = "default"
        else:
            value = "true" if check.value else "false"
        mark = "  <- taken" if check.taken else ""
        lines.append(f"     to {check.target}: {check.condition or 'always'} = {value}{mark}")
    return lines


def _waiting_line(result: DryRunResult) -> str:
    waiting = result.waiting
    assert waiting is not None
    hint = {
        "outcome": f'{{"{waiting.activity}": {{"outcome": ..., "form": {{...}}}}}}',
        "output": f'{{"{waiting.activity}": {{"output": {{...}}}}}} or {{"call": true}}',
        "pass": f'{{"{waiting.activity}": {{"pass": true}}}} (or --pass-waits)',
        "take": f'{{"{waiting.activity}": {{"take": "<one of {", ".join(waiting.choices)}>"}}}}',
    }[waiting.needs]
    return f"Waiting at {waiting.label!r} for its {waiting.needs}: add {hint} to --answers."
