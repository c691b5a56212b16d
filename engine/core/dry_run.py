"""A dry run: a version walked in memory against sample data, one step at a time.

Pure Python, nothing is stored and nothing is sent. Routing is the engine's
(``engine.core.routing``), so a dry run takes the path a real run would. What
a real run waits for comes from ``answers``, keyed by activity key (a list of
answers is used one per visit, in order; a single one serves every visit):

    human task      {"outcome": "APPROVED", "form": {...}} or {"timeout": true}
    automatic task  {"output": {...}, "outcome": "OK"} or {"call": true}
    HTTP request    {"output": {...}} (a dry run sends no request)
    timer           {"pass": true}
    signal wait     {"pass": true, "output": {...}} or {"timeout": true}
    subprocess      {"pass": true, "output": {...}}
    first of        {"take": "<key of the wait that fires first>"}

With ``pass_waits`` timers, signals and subprocesses pass by themselves (a
"first of" takes its first way out); with ``call_handlers`` every automatic
task without sample output calls its handler. A wait without an answer ends
the dry run in the state ``waiting``, saying what it needs: send the same
request again with that answer added to go on (the walk is replayed, and is
the same every time).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.core.conditions import evaluate, is_timeout
from engine.core.graph import Activity, ActivityKind, Graph, Transition
from engine.core.kinds import KINDS, Wake
from engine.core.routing import (
    RoutingError,
    is_join,
    join_ready,
    next_transitions,
    timeout_transitions,
)

# Calls the handler of an automatic task on a copy of the data; returns (data to merge,
# outcome).
CallHandler = Callable[[Activity, dict[str, Any]], tuple[dict[str, Any], str | None]]
# Checks a form against its schema; returns (the form with defaults, [{path, message}]).
CheckForm = Callable[[dict[str, Any], dict[str, Any]], tuple[dict[str, Any], list[dict[str, str]]]]

ANSWER_KEYS = {"outcome", "form", "output", "call", "pass", "timeout", "take"}
WAITS = (ActivityKind.TIMER, ActivityKind.SIGNAL, ActivityKind.SUBPROCESS)
MAX_STEPS = 500


Answer = dict[str, Any]
Answers = Answer | list[Answer]  # one answer for every visit, or one per visit in order


class DryRunInputError(ValueError):
    """The sample data or an answer cannot be used; ``errors`` says where."""

    def __init__(self, message: str, errors: list[dict[str, str]]):
        super().__init__(message)
        self.errors = errors


@dataclass
class ConditionCheck:
    """One way out of an activity: its condition, its value on the data, whether taken."""

    transition: str
    target: str
    condition: str
    value: bool | None  # None: a default or a timeout, not evaluated
    is_default: bool = False
    is_timeout: bool = False
    taken: bool = False
    target_label: str = ""


@dataclass
class Step:
    index: int
    activity: str
    kind: str
    label: str
    via: str | None  # the transition the run arrived by (None for the start)
    note: str = ""
    outcome: str | None = None
    set_data: dict[str, Any] = field(default_factory=dict)  # what this step wrote
    conditions: list[ConditionCheck] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)


@dataclass
class Waiting:
    """What the dry run needs to go on."""

    activity: str
    kind: str
    label: str
    needs: str  # outcome, output, pass, take
    outcomes: list[str] = field(default_factory=list)
    form_schema: dict[str, Any] = field(default_factory=dict)
    handler: str = ""
    can_time_out: bool = False
    choices: list[str] = field(default_factory=list)  # first of: the waits to pick from


@dataclass
class DryRunResult:
    state: str = "completed"  # completed, waiting, stuck, failed, budget exceeded
    steps: list[Step] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    waiting: Waiting | None = None
    message: str = ""

    def path(self) -> list[str]:
        """The activity keys visited, in order."""
        return [step.activity for step in self.steps]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Wait(Exception):
    def __init__(self, waiting: Waiting):
        self.waiting = waiting


class _Failed(Exception):
    pass


def dry_run(
    graph: Graph,
    data: Mapping[str, Any] | None,
    answers: Mapping[str, Any] | None = None,
    *,
    pass_waits: bool = False,
    call_handlers: bool = False,
    call_handler: CallHandler | None = None,
    check_form: CheckForm | None = None,
    strategy: str | None = None,
    max_steps: int = MAX_STEPS,
) -> DryRunResult:
    """Walk ``graph`` from its start with ``data``; DryRunInputError for a bad answer."""
    if data is not None and not isinstance(data, Mapping):
        raise DryRunInputError("The sample data must be a JSON object.", [{"path": "data"}])
    walk = _DryRun(graph, dict(data or {}), _answers(graph, answers), strategy)
    walk.pass_waits, walk.call_handlers = pass_waits, call_handlers
    walk.call_handler, walk.check_form = call_handler, check_form
    return walk.run(max_steps)


def _answers(graph: Graph, answers: Mapping[str, Any] | None) -> dict[str, Answers]:
    """The answers by activity, checked for shape: one for every visit, or a list."""
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise DryRunInputError("The answers must be a JSON object.", [_error("answers", "")])
    found: dict[str, Answers] = {}
    for key, given in answers.items():
        where = f"answers.{key}"
        if key not in graph.activities:
            raise DryRunInputError(f"There is no activity {key!r}.", [_error(where, "unknown")])
        listed = given if isinstance(given, list) else [given]
        for index, answer in enumerate(listed):
            at = f"{where}.{index}" if isinstance(given, list) else where
            if not isinstance(answer, Mapping):
                raise DryRunInputError(
                    f"The answer for {key!r} must be an object.", [_error(at, "not an object")]
                )
            unknown = sorted(set(answer) - ANSWER_KEYS)
            if unknown:
                known = ", ".join(sorted(ANSWER_KEYS))
                raise DryRunInputError(
                    f"Unknown answer field {unknown[0]!r} for {key!r} (use {known}).",
                    [_error(f"{at}.{unknown[0]}", "unknown field")],
                )
        found[key] = [dict(a) for a in listed] if isinstance(given, list) else dict(given)
    return found


def _error(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _form_error(where: str, error: Mapping[str, str]) -> dict[str, str]:
    return _error(f"{where}.form.{error['path']}".rstrip("."), error["message"])


def _worker_kind(activity: Activity) -> bool:
    spec = KINDS.get(activity.kind)
    return spec is not None and spec.wakes == Wake.WORKER


def _way_to(ways: list[Transition], take: Any) -> Transition | None:
    return next((t for t in ways if take in (t.target, t.key)), None)


class _DryRun:
    def __init__(
        self,
        graph: Graph,
        data: dict[str, Any],
        answers: dict[str, Answers],
        strategy: str | None,
    ):
        self.graph, self.data, self.answers, self.strategy = graph, data, answers, strategy
        self.result = DryRunResult(data=data)
        self.condition: str | None = None  # the last outcome, as instance.condition
        self.visits: dict[str, int] = {}
        self.fired: set[str] = set()  # waits a "first of" chose: they pass at once
        self.pass_waits = self.call_handlers = False
        self.call_handler: CallHandler | None = None
        self.check_form: CheckForm | None = None

    def run(self, max_steps: int) -> DryRunResult:
        tokens: deque[tuple[str, str | None]] = deque([(self.graph.start().key, None)])
        arrived: dict[str, set[str | None]] = {}
        while tokens:
            key, via = tokens.popleft()
            if is_join(self.graph, key):
                waiting = arrived.setdefault(key, set())
                waiting.add(via)
                if not join_ready(self.graph, key, waiting):
                    continue
                arrived[key] = set()
            if len(self.result.steps) >= max_steps:
                return self._end("budget exceeded", f"more than {max_steps} steps")
            try:
                chosen = self._visit(key, via)
            except _Wait as wait:
                self.result.waiting = wait.waiting
                return self._end("waiting", f"{wait.waiting.label!r} needs {wait.waiting.needs}")
            except _Failed as exc:
                return self._end("failed", str(exc))
            except RoutingError as exc:
                return self._end("stuck", str(exc))
            tokens.extend((t.target, t.key) for t in chosen)
        return self.result

    def _end(self, state: str, message: str) -> DryRunResult:
        self.result.state, self.result.message = state, message
        return self.result

    def _visit(self, key: str, via: str | None) -> list[Transition]:
        activity = self.graph.activity(key)
        step = Step(len(self.result.steps) + 1, key, str(activity.kind), activity.label, via)
        answer = self._answer(activity)
        timed_out = self._enter(activity, step, answer)
        self.result.steps.append(step)
        if timed_out:
            chosen = [timeout_transitions(self.graph, key)[0][0]]
        elif activity.kind == ActivityKind.FIRST_OF:
            chosen = [self._first_of(activity, answer)]
        else:
            chosen = next_transitions(
                self.graph, key, condition=self.condition, data=self.data, strategy=self.strategy
            )
        step.conditions = self._conditions(key, chosen)
        step.taken = [t.key for t in chosen]
        return chosen

    def _answer(self, activity: Activity) -> Answer | None:
        """The answer for this visit of ``activity`` (the n-th of a list), if any."""
        given = self.answers.get(activity.key)
        seen = self.visits.get(activity.key, 0)
        self.visits[activity.key] = seen + 1
        if isinstance(given, list):
            return given[seen] if seen < len(given) else None
        return given

    def _enter(self, activity: Activity, step: Step, answer: Answer | None) -> bool:
        """Do what the activity does; True when it is left by its timeout."""
        if activity.key in self.fired:
            self.fired.discard(activity.key)
            step.note = "fired first"
            return False
        if activity.kind == ActivityKind.HUMAN:
            return self._human(activity, step, answer)
        if activity.kind == ActivityKind.AUTOMATIC:
            self._automatic(activity, step, answer)
        elif _worker_kind(activity):
            self._sample_only(activity, step, answer)
        elif activity.kind in WAITS:
            return self._wait(activity, step, answer)
        elif activity.kind == ActivityKind.END:
            step.note = "the run ends"
        return False

    def _timeout(self, activity: Activity, answer: Answer | None) -> bool:
        if not (answer and answer.get("timeout")):
            return False
        if not timeout_transitions(self.graph, activity.key):
            raise DryRunInputError(
                f"{activity.label!r} has no timeout transition.",
                [_error(f"answers.{activity.key}.timeout", "no timeout transition")],
            )
        return True

    def _human(self, activity: Activity, step: Step, answer: Answer | None) -> bool:
        if answer is None:
            raise _Wait(self._waiting(activity, "outcome"))
        if self._timeout(activity, answer):
            step.note = "timed out"
            return True
        where = f"answers.{activity.key}"
        outcome = answer.get("outcome")
        if activity.outcomes and outcome not in activity.outcomes:
            choose = ", ".join(activity.outcomes)
            raise DryRunInputError(
                f"Choose an outcome of {activity.label!r}: {choose}.",
                [_error(f"{where}.outcome", f"must be one of {choose}")],
            )
        form = answer.get("form") or {}
        if not isinstance(form, Mapping):
            raise DryRunInputError("The form must be an object.", [_error(f"{where}.form", "")])
        form = dict(form)
        if self.check_form is not None:
            form, errors = self.check_form(activity.form_schema or {}, form)
            if errors:
                listed = [
                    _error(f"{where}.form.{e['path']}".rstrip("."), e["message"]) for e in errors
                ]
                raise DryRunInputError(f"The form of {activity.label!r} is not valid.", listed)
        self.data.update(form)
        step.set_data, step.outcome = form, outcome
        self.condition = outcome
        step.note = f"completed with outcome {outcome}" if outcome else "completed"
        return False

    def _automatic(self, activity: Activity, step: Step, answer: Answer | None) -> None:
        answer = answer or {}
        if "output" in answer:
            output, outcome = self._output(activity, answer), answer.get("outcome")
            step.note = "sample output"
        elif answer.get("call") or self.call_handlers:
            output, outcome = self._call(activity)
            step.note = f"called handler {activity.handler}"
        else:
            raise _Wait(self._waiting(activity, "output"))
        self.data.update(output)
        step.set_data, step.outcome = output, outcome
        if outcome is not None:
            self.condition = outcome

    def _sample_only(self, activity: Activity, step: Step, answer: Answer | None) -> None:
        """A kind a worker runs that is no handler (an HTTP request): sample output only."""
        if answer is None or "output" not in answer:
            raise _Wait(self._waiting(activity, "output"))
        output = self._output(activity, answer)
        self.data.update(output)
        step.set_data, step.outcome, step.note = output, answer.get("outcome"), "sample output"
        if step.outcome is not None:
            self.condition = step.outcome

    def _call(self, activity: Activity) -> tuple[dict[str, Any], str | None]:
        if self.call_handler is None:
            raise _Failed("this dry run cannot call handlers")
        try:
            return self.call_handler(activity, dict(self.data))
        except Exception as exc:  # the handler's code: report whatever it raised
            raise _Failed(
                f"the handler {activity.handler!r} of {activity.label!r} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def _output(self, activity: Activity, answer: Answer) -> dict[str, Any]:
        output = answer.get("output") or {}
        if not isinstance(output, Mapping):
            raise DryRunInputError(
                f"The output for {activity.label!r} must be an object.",
                [_error(f"answers.{activity.key}.output", "not an object")],
            )
        return dict(output)

    def _wait(self, activity: Activity, step: Step, answer: Answer | None) -> bool:
        if self._timeout(activity, answer):
            step.note = "timed out"
            return True
        if not (self.pass_waits or (answer and answer.get("pass"))):
            raise _Wait(self._waiting(activity, "pass"))
        output = self._output(activity, answer or {})
        self.data.update(output)
        step.set_data = output
        step.note = "passed through" + (" (by itself)" if not answer else "")
        return False

    def _first_of(self, activity: Activity, answer: Answer | None) -> Transition:
        ways = [t for t in self.graph.outgoing(activity.key) if not is_timeout(t.condition)]
        if not ways:
            raise RoutingError(f"No transition leaves {activity.label!r}.")
        take = (answer or {}).get("take")
        if take is None and not self.pass_waits:
            raise _Wait(self._waiting(activity, "take"))
        chosen = (
            ways[0] if take is None else next((t for t in ways if take in (t.target, t.key)), None)
        )
        if chosen is None:
            raise DryRunInputError(
                f"{take!r} is not a wait {activity.label!r} leads to.",
                [_error(f"answers.{activity.key}.take", "not one of its waits")],
            )
        self.fired.add(chosen.target)
        return chosen

    def _waiting(self, activity: Activity, needs: str) -> Waiting:
        return Waiting(
            activity=activity.key,
            kind=str(activity.kind),
            label=activity.label,
            needs=needs,
            outcomes=list(activity.outcomes),
            form_schema=dict(activity.form_schema or {}),
            handler=activity.handler,
            can_time_out=bool(timeout_transitions(self.graph, activity.key)),
            choices=[t.target for t in self.graph.outgoing(activity.key)]
            if activity.kind == ActivityKind.FIRST_OF
            else [],
        )

    def _conditions(self, key: str, chosen: list[Transition]) -> list[ConditionCheck]:
        """Every way out with its condition's value, when there is a choice to show."""
        outgoing = self.graph.outgoing(key)
        if len(outgoing) < 2 and not any(t.condition for t in outgoing):
            return []
        taken = {t.key for t in chosen}
        checks = []
        for t in outgoing:
            timeout = is_timeout(t.condition)
            value = None
            if not (timeout or t.is_default):
                value = evaluate(
                    t.condition, condition=self.condition, data=self.data, strategy=self.strategy
                )
            checks.append(
                ConditionCheck(
                    t.key,
                    t.target,
                    t.condition,
                    value,
                    t.is_default,
                    timeout,
                    t.key in taken,
                    self.graph.activity(t.target).label,
                )
            )
        return checks
