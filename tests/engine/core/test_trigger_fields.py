"""Trigger kinds take their own fields; offsets are signed durations."""

from datetime import timedelta

import pytest

from engine.core import triggers


@pytest.mark.parametrize(
    ("text", "delta", "normal"),
    [
        ("-1h", timedelta(hours=-1), "-1h"),
        ("- 60 minutes", timedelta(hours=-1), "-1h"),
        ("2 days", timedelta(days=2), "2d"),
        ("+90m", timedelta(minutes=90), "90m"),
        ("-14d", timedelta(days=-14), "-2w"),
    ],
)
def test_an_offset_reads_as_a_signed_duration(text, delta, normal):
    assert triggers.parse_offset(text) == delta
    assert triggers.normalize_offset(text) == normal


@pytest.mark.parametrize("text", ["x", "-", "1x", "-0h", "1.5h", "--1h"])
def test_an_offset_that_is_not_a_duration_says_why(text):
    problem = triggers.offset_problem(text)
    assert problem and problem.startswith(f"invalid offset {text!r}")


def test_no_offset_is_no_problem():
    assert triggers.offset_problem("") is None
    assert triggers.normalize_offset("") == ""


def test_a_field_of_another_kind_is_named():
    problems = triggers.field_problems("schedule", {"cron": "* * * * *", "model": "auth.User"})
    assert problems == [("model", "a schedule trigger has no field 'model'")]


def test_what_a_kind_needs_is_named():
    assert triggers.field_problems("date_event", {"model": "auth.User"}) == [
        ("date_field", "a date_event trigger needs 'date_field'")
    ]
    assert triggers.field_problems("signal", {}) == [("signal", "a signal trigger needs 'signal'")]


def test_an_unknown_kind_lists_the_usable_ones():
    problem = triggers.kind_problem("webhook")
    assert problem is not None and problem.startswith("unknown trigger kind 'webhook'")
    assert "'schedule'" in problem
