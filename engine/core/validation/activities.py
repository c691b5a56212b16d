"""The fields of each activity, checked by kind (WM114-WM119, WM121, WM123, WM130), and
subprocess calls that lead back to the calling process (WM121).

Each kind with something to check has one function in ``_BY_KIND``; the checks
a kind needs follow the fields ``engine.core.kinds`` gives it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from engine.core import http_templates
from engine.core.conditions import ConditionError, check_path
from engine.core.durations import DurationError, parse_duration
from engine.core.graph import Activity, ActivityKind, Graph
from engine.core.triggers import offset_problem
from engine.core.validation.problems import ERROR, WARNING, Problem

# A definition names handlers; it never imports code (handler_exists looks names up).
REGISTER_HINT = (
    "Only handlers registered with Waymark can run: an administrator registers one with "
    "@handler(name) in a module listed in WAYMARK_HANDLER_MODULES, or in WAYMARK_HANDLERS."
)

Exists = Callable[[str], bool]


@dataclass
class _Check:
    """The problems of one activity, each message starting with its label."""

    activity: Activity
    handler_exists: Exists | None
    process_exists: Exists | None
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, severity: str, message: str, hint: str = "") -> None:
        label = self.activity.label
        self.problems.append(
            Problem(code, self.activity.key, severity, f"{label!r}: {message}", hint)
        )

    def duration(self, what: str, text: str) -> None:
        if not text:
            return
        try:
            parse_duration(text)
        except DurationError as exc:
            self.add(
                "WM115",
                ERROR,
                f"{what} {text!r} is not a duration ({exc.message}).",
                "Write it like 30m, 4h, 2d or 1w.",
            )

    def path(self, path: str, what: str) -> None:
        if not path:
            return
        try:
            check_path(path)
        except ConditionError as exc:
            self.add(
                "WM117",
                ERROR,
                f"the {what} {path!r} is invalid: {exc}.",
                "Write a data path such as data.manager.",
            )

    def registered(self, name: str, what: str) -> None:
        if self.handler_exists is not None and not self.handler_exists(name):
            self.add("WM114", ERROR, f"the {what} {name!r} is not registered.", REGISTER_HINT)


def check_activity(
    activity: Activity, handler_exists: Exists | None, process_exists: Exists | None
) -> list[Problem]:
    check = _Check(activity, handler_exists, process_exists)
    by_kind = _BY_KIND.get(activity.kind)
    if by_kind is not None:
        by_kind(check)
    if activity.compensation_handler:
        check.registered(activity.compensation_handler, "compensation handler")
    return check.problems


def _check_automatic(check: _Check) -> None:
    activity = check.activity
    if not activity.handler:
        check.add("WM114", ERROR, "no handler is set.", "Name a registered handler.")
    else:
        check.registered(activity.handler, "handler")
    _check_retry(check)


def _check_retry(check: _Check) -> None:
    retry = check.activity.retry
    if retry.max_attempts < 1 or retry.base_delay < 0 or retry.max_delay < 0:
        check.add("WM123", ERROR, "the retry policy needs at least 1 attempt and delays >= 0.")
    if retry.backoff_factor < 1:
        check.add("WM123", ERROR, "the retry backoff factor must be at least 1.")


def _check_human(check: _Check) -> None:
    activity = check.activity
    check.duration("SLA warning", activity.sla_warn)
    check.duration("SLA breach", activity.sla_duration)
    _check_sla_order(check)
    check.path(activity.assignee, "assignee expression")


def _check_sla_order(check: _Check) -> None:
    activity = check.activity
    try:
        warn = parse_duration(activity.sla_warn) if activity.sla_warn else None
        breach = parse_duration(activity.sla_duration) if activity.sla_duration else None
    except DurationError:
        return
    if warn and breach and warn >= breach:
        check.add(
            "WM116",
            WARNING,
            "the SLA warning comes no earlier than the breach.",
            "Make the warning shorter than the SLA duration.",
        )


def _check_timer(check: _Check) -> None:
    activity = check.activity
    if not activity.timer_duration and not activity.timer_date_field:
        check.add("WM118", ERROR, "the timer needs a duration or a date field.")
    check.duration("Timer duration", activity.timer_duration)
    check.path(activity.timer_date_field, "date field")
    if activity.timer_offset:
        _check_timer_offset(check)


def _check_timer_offset(check: _Check) -> None:
    activity = check.activity
    if not activity.timer_date_field:
        check.add(
            "WM118",
            ERROR,
            "the timer's offset moves the date in its date field, and none is set.",
            "Set a date field, or remove the offset.",
        )
    if offset_problem(activity.timer_offset):
        check.add(
            "WM115",
            ERROR,
            f"the timer offset {activity.timer_offset!r} is not a signed duration.",
            "Write it like -1h (an hour before) or 2d (two days after).",
        )


def _check_signal(check: _Check) -> None:
    activity = check.activity
    if not activity.signal_name.strip():
        check.add("WM119", ERROR, "no signal name is set.")
    check.duration("Signal timeout", activity.signal_timeout)
    check.path(activity.correlation, "correlation")


def _check_subprocess(check: _Check) -> None:
    code = check.activity.subprocess_code
    if not code:
        check.add("WM121", ERROR, "no process to call is set.")
    elif check.process_exists is not None and not check.process_exists(code):
        check.add("WM121", ERROR, f"there is no process {code!r}.")


def _check_http(check: _Check) -> None:
    activity = check.activity
    hint = "See 'HTTP requests' in docs/engine.md."
    problems = []
    if activity.http_method not in http_templates.METHODS:
        problems.append(f"the method {activity.http_method!r} is not one of GET, POST, PUT, ...")
    url_problem = http_templates.url_problem(activity.http_url)
    if url_problem:
        problems.append(url_problem)
    problems += http_templates.header_problems(activity.http_headers)
    path = activity.http_result_path
    if path and not http_templates.RESULT_PATH.match(path):
        problems.append(f"the result path {path!r} is not a dotted path such as result.id")
    key = activity.http_result_key
    if key and not http_templates.DATA_KEY.match(key):
        problems.append(f"the result key {key!r} is not a data key such as order")
    for problem in problems:
        check.add("WM130", ERROR, f"{problem}.", hint)
    _check_retry(check)


_BY_KIND: dict[ActivityKind, Callable[[_Check], None]] = {
    ActivityKind.AUTOMATIC: _check_automatic,
    ActivityKind.HUMAN: _check_human,
    ActivityKind.TIMER: _check_timer,
    ActivityKind.SIGNAL: _check_signal,
    ActivityKind.SUBPROCESS: _check_subprocess,
    ActivityKind.HTTP: _check_http,
}


def check_subprocess_cycles(
    graph: Graph, calls: Mapping[str, Iterable[str]], process_code: str | None
) -> list[Problem]:
    if not process_code:
        return []
    problems = []
    for key, activity in sorted(graph.activities.items()):
        if activity.kind != ActivityKind.SUBPROCESS or not activity.subprocess_code:
            continue
        path = _path_to(activity.subprocess_code, process_code, calls)
        if path is not None:
            cycle = " -> ".join([process_code, *path])
            problems.append(
                Problem(
                    "WM121",
                    key,
                    ERROR,
                    f"{activity.label!r} calls {activity.subprocess_code!r}, which leads back "
                    f"here: {cycle}.",
                    "A process may not call itself, directly or through others.",
                )
            )
    return problems


def _path_to(start: str, goal: str, calls: Mapping[str, Iterable[str]]) -> list[str] | None:
    queue: deque[list[str]] = deque([[start]])
    seen = {start}
    while queue:
        path = queue.popleft()
        if path[-1] == goal:
            return path
        for nxt in calls.get(path[-1], ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    return None
