"""Handlers for the durability tests, registered as durable.* (qcluster subprocesses
import this module through WAYMARK_HANDLER_MODULES in durable_settings.py).

Each call appends "<idempotency key> <pid> <attempt>" to the file named by
``data["log"]``, so a test can count how often a side effect ran.
"""

import os
import time
from pathlib import Path

from engine.handlers import handler


def _record(ctx) -> None:
    with open(ctx.data["log"], "a") as out:
        out.write(f"{ctx.idempotency_key} {os.getpid()} {ctx.attempt} {ctx.activity_key}\n")


@handler("durable.step")
def step(ctx):
    _record(ctx)
    return {f"done_{ctx.activity_key}": True, "n": int(ctx.data.get("n", 0)) + 1}


@handler("durable.hang_once")
def hang_once(ctx):
    """The first call writes its pid to <log>.hang and hangs (to be SIGKILLed)."""
    _record(ctx)
    marker = Path(ctx.data["log"] + ".hang")
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return {"hang_done": True, "n": int(ctx.data.get("n", 0)) + 1}


@handler("durable.hang")
def hang(ctx):
    """Every attempt writes its pid to <log>.pid.<attempt> and hangs (to be SIGKILLed)."""
    _record(ctx)
    Path(f"{ctx.data['log']}.pid.{ctx.attempt}").write_text(str(os.getpid()))
    time.sleep(120)


@handler("durable.sleep")
def sleep(ctx):
    """Works for ``data["sleep"]`` seconds (longer than the step's lease), then succeeds."""
    _record(ctx)
    time.sleep(float(ctx.data["sleep"]))
    return {"slept": True}
