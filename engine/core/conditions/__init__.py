"""Transition conditions: parsed into a small tree of our own, never ``eval``-ed.

Forms (any case for prefixes and keywords):

    ""                      always true
    true / false
    eq:APPROVED             instance.condition == "APPROVED"
    ne:X, in:A,B, notin:A,B
    timeout:3d              taken only by the timeout scan (evaluate() is false)
    workitem.time_out(3, unit='days')       legacy spelling of timeout:3d
    APPROVED, 'APPROVED'    a bare value: eq:APPROVED
    expressions             instance.condition == 'A' and instance.data.amount >= 100

Names: ``instance.condition`` (the last outcome chosen) and
``instance.data.<field>[.<field>...]`` (``data.<field>`` is accepted and
written as ``instance.data.<field>``). A missing field is null. Fields
starting with ``_`` are refused, so no attribute walking is possible: data is
only ever read with mapping lookups.

One module per job, each depending only on those above it:

    syntax      the error, the limits, the tree (Condition, Node)
    lexer       tokens
    parser      the expression parser and the names it accepts
    forms       parse(): the whole-condition forms; check_path()
    printer     normalize(): one canonical text per meaning
    evaluator   evaluate(), resolve_path()
    queries     check(), is_timeout(), timeout_delta(), referenced_outcomes()
"""

from engine.core.conditions.evaluator import evaluate, resolve_path
from engine.core.conditions.forms import check_path, parse
from engine.core.conditions.printer import normalize
from engine.core.conditions.queries import (
    check,
    is_timeout,
    referenced_outcomes,
    timeout_delta,
)
from engine.core.conditions.syntax import ConditionError

__all__ = [
    "ConditionError",
    "check",
    "check_path",
    "evaluate",
    "is_timeout",
    "normalize",
    "parse",
    "referenced_outcomes",
    "resolve_path",
    "timeout_delta",
]
