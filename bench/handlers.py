"""Handlers of the benchmark processes, registered as bench.* (bench_settings.py lists
this module in WAYMARK_HANDLER_MODULES, so the driver and the qcluster workers load it).

They do next to nothing on purpose: the benchmark measures the engine's cost
of a step, not a handler's.
"""

from engine.handlers import handler


@handler("bench.step")
def step(ctx) -> dict:
    return {"last": ctx.activity_key}


@handler("bench.branch")
def branch(ctx) -> dict:
    return {f"done_{ctx.activity_key}": True}


def noop() -> None:
    """The peer's task: Django-Q2 schedules in bench/trigger_bench.py run this."""
