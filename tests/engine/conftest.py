"""Engine test helpers: deploy a process in one call, run the engine in-process.

``wm`` runs every service call with the immediate scheduler backend and
executes the on-commit callbacks (queued steps, compensations, notifications)
at the end of the call, as a worker would right after the commit.
"""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from engine.handlers import HandlerResult, handler
from engine.services import definitions
from tests.engine import durable_handlers  # noqa: F401  (registers durable.*)

CALLS: dict[str, list] = {}
_counter = itertools.count(1)


def _record(name, ctx):
    CALLS.setdefault(name, []).append(ctx)


@handler("test.add_one")
def add_one(ctx):
    _record("test.add_one", ctx)
    return {"n": int(ctx.data.get("n", 0)) + 1}


@handler("test.noop")
def noop(ctx):
    _record("test.noop", ctx)


@handler("test.outcome")
def outcome(ctx):
    _record("test.outcome", ctx)
    return HandlerResult({"decided": True}, outcome=ctx.data.get("want", "OK"))


@handler("test.fail")
def fail(ctx):
    _record("test.fail", ctx)
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@handler("test.flaky")
def flaky(ctx):
    """Fails until attempt ``ctx.data['succeed_on']``."""
    _record("test.flaky", ctx)
    if ctx.attempt < int(ctx.data.get("succeed_on", 2)):
        raise ConnectionError(f"temporary failure {ctx.attempt}")
    return {"flaky_done_on": ctx.attempt}


@handler("test.compensate")
def compensate_handler(ctx):
    _record("test.compensate", ctx)
    return {"refunded": True, "why": ctx.error}


@handler("test.branch")
def branch(ctx):
    _record("test.branch", ctx)
    return {f"branch_{ctx.activity_key}": True}


def transition_specs(edges):
    out = []
    for index, edge in enumerate(edges):
        if isinstance(edge, str):
            source, target = (part.strip() for part in edge.split(">"))
            edge = {"source": source, "target": target}
        edge = dict(edge)
        edge.setdefault("key", f"t{index}_{edge['source']}_{edge['target']}")
        out.append(edge)
    return out


def deploy(activities, edges, *, code=None, input_schema=None):
    """Import and publish a process; returns its published Version."""
    code = code or f"p{next(_counter)}"
    acts = []
    for a in activities:
        a = dict(a)
        a.setdefault("name", a["key"])
        acts.append(a)
    keys = {a["key"] for a in acts}
    if "start" not in keys:
        acts.insert(0, {"key": "start", "kind": "start", "name": "Start"})
    if "end" not in keys:
        acts.append({"key": "end", "kind": "end", "name": "End"})
    data = {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code.title(), "input_schema": input_schema or {}},
        "activities": acts,
        "transitions": transition_specs(edges),
    }
    return definitions.import_definition(data, publish_it=True)


class Engine:
    """Calls engine functions and runs what they queued, like a worker after commit."""

    def __init__(self, capture):
        self._capture = capture

    def __getattr__(self, name):
        from engine.runtime import compensation, reconciler, timers, worker
        from engine.services import runtime, scans

        for module in (runtime, timers, scans, reconciler, worker, compensation):
            fn = getattr(module, name, None)
            if callable(fn):
                break
        else:
            raise AttributeError(name)

        def call(*args, **kwargs):
            with self._capture(execute=True):
                return fn(*args, **kwargs)

        return call

    def run(self, fn, *args, **kwargs):
        with self._capture(execute=True):
            return fn(*args, **kwargs)


@pytest.fixture
def wm(settings, django_capture_on_commit_callbacks, db):
    from engine.models.definitions import clear_graph_cache

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    CALLS.clear()
    yield Engine(django_capture_on_commit_callbacks)
    clear_graph_cache()


@pytest.fixture
def calls():
    CALLS.clear()
    return CALLS


@pytest.fixture
def approvers(db):
    return Group.objects.create(name="approvers")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", email="bob@example.com")


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", email="carol@example.com")
