"""Handlers of the benchmark processes (dotted paths, importable by qcluster workers).

They do next to nothing on purpose: the benchmark measures the engine's cost
of a step, not a handler's.
"""


def step(ctx) -> dict:
    return {"last": ctx.activity_key}


def branch(ctx) -> dict:
    return {f"done_{ctx.activity_key}": True}
