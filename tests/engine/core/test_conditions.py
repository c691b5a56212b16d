from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.conditions import (
    ConditionError,
    check,
    check_path,
    evaluate,
    is_timeout,
    normalize,
    referenced_outcomes,
    resolve_path,
    timeout_delta,
)
from engine.core.durations import DurationError, normalize_duration, parse_duration

NORMALIZATION = [
    ("", ""),
    ("   ", ""),
    ("APPROVED", "eq:APPROVED"),
    ("  APPROVED  ", "eq:APPROVED"),
    ("'APPROVED'", "eq:APPROVED"),
    ('"APPROVED"', "eq:APPROVED"),
    ("EQ : APPROVED", "eq:APPROVED"),
    ("eq:Hello World", "eq:Hello World"),
    ("NE:x", "ne:x"),
    ("IN: A , B", "in:A,B"),
    ("in:A,B", "in:A,B"),
    ("not in: A,B", "notin:A,B"),
    ("NOTIN:A", "notin:A"),
    ("not_in:A", "notin:A"),
    ("timeout:3 days", "timeout:3d"),
    ("TIMEOUT: 3D", "timeout:3d"),
    ("timeout:03d", "timeout:3d"),
    ("timeout:1 Week", "timeout:1w"),
    ("timeout:4 hours", "timeout:4h"),
    ("workitem.time_out(3, unit='days')", "timeout:3d"),
    ("workitem.timeout(3,'days')", "timeout:3d"),
    ('workitem.time_out( 3 , "hours" )', "timeout:3h"),
    ("workitem.time_out(3)", "timeout:3d"),
    ("TRUE", "true"),
    ("False", "false"),
    ("instance.condition == 'APPROVED'", "eq:APPROVED"),
    ('instance.condition == "APPROVED"', "eq:APPROVED"),
    ("'APPROVED' == instance.condition", "eq:APPROVED"),
    ("instance.condition != 'X'", "ne:X"),
    ("instance.condition in ['A', 'B']", "in:A,B"),
    ("instance.condition not in ['A','B']", "notin:A,B"),
    ("instance.condition == 3", "instance.condition == 3"),
    ("instance.condition in ['a,b']", "instance.condition in ['a,b']"),
    ("instance.data.amount>=100", "instance.data.amount >= 100"),
    ("data.amount >= 100", "instance.data.amount >= 100"),
    ("data.x == -3", "instance.data.x == -3"),
    ('data.name == "O\'Brien"', "instance.data.name == 'O\\'Brien'"),
    ("data.a and data.b or data.c", "instance.data.a and instance.data.b or instance.data.c"),
    ("data.a and (data.b or data.c)", "instance.data.a and (instance.data.b or instance.data.c)"),
    ("((data.a))", "instance.data.a"),
    ("not (data.a == 1)", "not instance.data.a == 1"),
    ("data.kind in ['x', 'y']", "instance.data.kind in ['x', 'y']"),
    ("data.v == None", "instance.data.v == null"),
    ("data.v == True", "instance.data.v == true"),
]


@pytest.mark.parametrize("text, expected", NORMALIZATION)
def test_normalize(text, expected):
    assert normalize(text) == expected
    assert normalize(expected) == expected


INVALID = [
    ("instance.data.amount >", 22, "expected a value"),
    ("instance.__class__", 9, "'_'"),
    ("data.__globals__ == 1", 5, "'_'"),
    ("foo.bar == 1", 0, "unknown name"),
    ("instance.secret == 1", 9, "unknown name"),
    ("timeout:1.5d", 8, "whole number"),
    ("timeout:-1d", 8, "negative"),
    ("timeout:3x", 9, "unknown unit"),
    ("timeout:0d", 8, "greater than zero"),
    ("workitem.time_out(2.5)", 18, "whole number"),
    ("workitem.time_out(3, unit='fortnights')", 18, "unknown unit"),
    ("1 < 2 < 3", 6, "chained"),
    ("data.a ==", 9, "expected a value"),
    ("data.a == 'open", 10, "unterminated"),
    ("in:A,,B", 5, "empty item"),
    ("eq:", 3, "needs a value"),
    ("data.a == 1)", 11, "unexpected"),
    ("(data.a", 7, "expected ')'"),
    ("data.a @ 1", 7, "unexpected character"),
    ("Needs review", 0, "unknown name"),
]


@pytest.mark.parametrize("text, position, message", INVALID)
def test_invalid_conditions_report_their_position(text, position, message):
    with pytest.raises(ConditionError) as info:
        normalize(text)
    assert info.value.position == position
    assert message in info.value.message
    assert f"position {position}" in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["(" * 100_000, "not " * 5000 + "true", "x" * 5000, "[" * 1000, "data.x == " + "9" * 100],
)
def test_hostile_input_is_a_clean_error(text):
    with pytest.raises(ConditionError):
        normalize(text)
    assert evaluate(text, strategy="strict") is False


EVALUATION = [
    ("", None, {}, True),
    ("true", None, {}, True),
    ("false", "X", {}, False),
    ("eq:APPROVED", "APPROVED", {}, True),
    ("eq:APPROVED", "approved", {}, False),  # case-sensitive
    ("eq:APPROVED", None, {}, False),
    ("ne:APPROVED", "REJECTED", {}, True),
    ("in:A,B", "B", {}, True),
    ("in:A,B", "C", {}, False),
    ("notin:A,B", "C", {}, True),
    ("timeout:3d", "X", {}, False),
    ("data.amount >= 100", None, {"amount": 150}, True),
    ("data.amount >= 100", None, {"amount": 50}, False),
    ("data.amount >= 100", None, {}, False),  # missing is null; null >= 100 is false
    ("data.missing == null", None, {}, True),
    ("data.amount > 'x'", None, {"amount": 5}, False),  # incompatible types: false
    ("data.amount < -1", None, {"amount": -5}, True),
    ("data.a.b.c == 1", None, {"a": {"b": {"c": 1}}}, True),
    ("data.a.b.c == 1", None, {"a": "not a mapping"}, False),
    ("data.tags in ['x']", None, {"tags": "x"}, True),
    ("'vip' in data.tags", None, {"tags": ["vip", "eu"]}, True),
    ("'vip' not in data.tags", None, {"tags": ["eu"]}, True),
    ("'ell' in data.name", None, {"name": "hello"}, True),
    ("data.flag", None, {"flag": True}, True),
    ("not data.flag", None, {"flag": False}, True),
    ("data.flag == 1", None, {"flag": True}, False),  # true is not 1
    ("false and data.x.y > 1", None, {}, False),
    ("true or data.nothing", None, {}, True),
    ("instance.condition == 'A' and data.n > 1", "A", {"n": 2}, True),
    ("data.ratio > 0.5", None, {"ratio": 0.75}, True),
    ("data.list == [1, 2]", None, {"list": [1, 2]}, True),
]


@pytest.mark.parametrize("text, condition, data, expected", EVALUATION)
def test_evaluate(text, condition, data, expected):
    assert evaluate(text, condition=condition, data=data) is expected
    assert evaluate(normalize(text), condition=condition, data=data) is expected


@pytest.mark.parametrize(
    "strategy, expected", [("compatible", True), (None, True), ("strict", False), ("odd", True)]
)
def test_strategy_decides_what_invalid_text_means(strategy, expected):
    # compatible: the raw text is compared with the outcome
    assert evaluate("Needs review", condition="Needs review", strategy=strategy) is expected
    assert evaluate("Needs review", condition="other", strategy=strategy) is False


def test_check_keeps_invalid_text_in_compatible_mode_and_refuses_it_in_strict_mode():
    assert check("  IN: A , B ") == ("in:A,B", None)
    text, warning = check("  data.amount >  ")
    assert text == "data.amount >" and warning.position == 17
    with pytest.raises(ConditionError):
        check("data.amount >", strategy="strict")


def test_timeouts():
    assert is_timeout("workitem.time_out(2, unit='hours')")
    assert timeout_delta("timeout:2h") == timedelta(hours=2)
    assert timeout_delta("eq:A") is None
    assert not is_timeout("garbage (")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("eq:A", {"A"}),
        ("in:A,B", {"A", "B"}),
        ("instance.condition == 'X' or instance.condition in ['Y']", {"X", "Y"}),
        ("data.a == 'X'", None),
        ("", None),
        ("timeout:3d", None),
        ("broken (", None),
    ],
)
def test_referenced_outcomes(text, expected):
    assert referenced_outcomes(text) == expected


@pytest.mark.parametrize(
    "path, data, expected",
    [
        ("data.manager", {"manager": "bob"}, "bob"),
        ("instance.data.order.id", {"order": {"id": 7}}, 7),
        ("manager", {"manager": "ann"}, "ann"),
        ("data.missing", {}, None),
        ("data.__class__", {"__class__": "x"}, None),
    ],
)
def test_resolve_path(path, data, expected):
    assert resolve_path(path, data) == expected


@pytest.mark.parametrize("path", ["", "data.", "data.__dict__", "1abc", "data.a == 1"])
def test_check_path_refuses_bad_paths(path):
    with pytest.raises(ConditionError):
        check_path(path)


@pytest.mark.parametrize(
    "text, canonical, seconds",
    [
        ("2d", "2d", 172800),
        ("3 Days", "3d", 259200),
        ("03d", "3d", 259200),
        ("4h", "4h", 14400),
        ("30 minutes", "30m", 1800),
        ("1 week", "1w", 604800),
        ("45s", "45s", 45),
    ],
)
def test_durations(text, canonical, seconds):
    assert normalize_duration(text) == canonical
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "d", "1.5d", "-2d", "0h", "3 fortnights", "3", "abc"])
def test_bad_durations(text):
    with pytest.raises(DurationError):
        parse_duration(text)


# Properties ------------------------------------------------------------------------

names = st.sampled_from(["instance.condition", "data.a", "instance.data.b", "data.c.d"])
literals = st.one_of(
    st.text(alphabet="ABCxyz ,'\"\\", max_size=6).map(repr),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["true", "false", "null", "1.5", "['A', 'B']", "[]", "[1, 'x']"]),
)
operators = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"])


@st.composite
def expressions(draw, depth=0):
    if depth > 3 or draw(st.booleans()):
        left = draw(st.one_of(names, literals))
        right = draw(st.one_of(names, literals))
        return f"{left} {draw(operators)} {right}"
    kind = draw(st.sampled_from(["and", "or", "not", "paren"]))
    if kind == "not":
        return f"not {draw(expressions(depth + 1))}"
    if kind == "paren":
        return f"({draw(expressions(depth + 1))})"
    return f"{draw(expressions(depth + 1))} {kind} {draw(expressions(depth + 1))}"


compact_forms = st.builds(
    lambda op, items, pad: f"{pad}{op}{pad}:{pad}{','.join(items)}",
    st.sampled_from(["eq", "EQ", "ne", "in", "IN", "notin", "not in"]),
    st.lists(st.text(alphabet="ABCdef_-1", min_size=1, max_size=5), min_size=1, max_size=3),
    st.sampled_from(["", " "]),
)
conditions = st.one_of(expressions(), compact_forms, st.sampled_from(["", "true", "FALSE"]))
run_data = st.fixed_dictionaries(
    {},
    optional={
        "a": st.one_of(st.integers(-5, 5), st.text("ABx", max_size=2), st.none()),
        "b": st.one_of(st.booleans(), st.lists(st.sampled_from(["A", "B", 1]), max_size=3)),
        "c": st.one_of(st.dictionaries(st.just("d"), st.integers(-2, 2)), st.integers()),
    },
)


@settings(max_examples=300, deadline=None)
@given(conditions, st.one_of(st.none(), st.sampled_from(["A", "B", "x", "ABC"])), run_data)
def test_normalize_is_idempotent_and_keeps_meaning(text, condition, data):
    try:
        canonical = normalize(text)
    except ConditionError:
        return
    assert normalize(canonical) == canonical
    assert evaluate(canonical, condition=condition, data=data) == evaluate(
        text, condition=condition, data=data
    )


tokens = st.sampled_from(
    [
        "instance",
        ".",
        "condition",
        "data",
        "a",
        "==",
        "in",
        "not",
        "and",
        "or",
        "(",
        ")",
        "[",
        "]",
        ",",
        "'A'",
        '"',
        "1",
        "-",
        "eq:",
        "timeout:",
        "workitem.time_out(",
        "__class__",
        " ",
        "true",
        "null",
        "\\",
        "3d",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(tokens, max_size=20).map("".join)))
def test_no_input_breaks_normalize_or_evaluate(text):
    try:
        canonical = normalize(text)
    except ConditionError:
        pass
    else:
        assert normalize(canonical) == canonical
    for strategy in ("compatible", "strict"):
        assert evaluate(text, condition="A", data={"a": 1}, strategy=strategy) in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000), st.sampled_from(["s", "m", "h", "d", "w", " days", "Hours", "W"]))
def test_durations_normalize_idempotently(amount, unit):
    canonical = normalize_duration(f"{amount}{unit}")
    assert normalize_duration(canonical) == canonical
