"""The routing core alone, in memory, against SpiffWorkflow on the same graphs.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/routing_bench.py

Graphs: a 20-step linear process, and a parallel split of width 10 joined
again. Waymark walks them with engine.core.routing.simulate (tokens, condition
evaluation, join bookkeeping); SpiffWorkflow runs the same shapes built from
its own task specs (Simple, MultiChoice/ParallelSplit, Join) with
``run_all()``. Steps/s counts activities executed. The target is Waymark at
least 10x SpiffWorkflow.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.graph import Activity, ActivityKind, Graph, Transition  # noqa: E402
from engine.core.routing import simulate  # noqa: E402

RUNS = 300


def linear_graph(n: int = 20) -> Graph:
    keys = ["start", *[f"s{i}" for i in range(n)], "end"]
    kinds = [ActivityKind.START, *[ActivityKind.AUTOMATIC] * n, ActivityKind.END]
    activities = [Activity(k, kind, handler="x") for k, kind in zip(keys, kinds, strict=True)]
    transitions = [
        Transition(f"t{i}", a, b) for i, (a, b) in enumerate(zip(keys, keys[1:], strict=False))
    ]
    return Graph(activities, transitions)


def parallel_graph(width: int = 10) -> Graph:
    branches = [f"b{i}" for i in range(width)]
    activities = [
        Activity("start", ActivityKind.START),
        Activity("fork", ActivityKind.PARALLEL),
        Activity("join", ActivityKind.PARALLEL),
        Activity("end", ActivityKind.END),
        *[Activity(b, ActivityKind.AUTOMATIC, handler="x") for b in branches],
    ]
    transitions = [Transition("t0", "start", "fork"), Transition("t1", "join", "end")]
    for b in branches:
        transitions += [Transition(f"f{b}", "fork", b), Transition(f"j{b}", b, "join")]
    return Graph(activities, transitions)


def waymark_rate(graph: Graph) -> float:
    steps = 0
    started = time.perf_counter()
    for _ in range(RUNS):
        steps += simulate(graph).steps
    return steps / (time.perf_counter() - started)


def spiff_linear(n: int = 20):
    from SpiffWorkflow.specs import Simple, WorkflowSpec

    spec = WorkflowSpec("linear", addstart=True)
    previous = spec.start
    for i in range(n):
        task = Simple(spec, f"s{i}")
        previous.connect(task)
        previous = task
    return spec


def spiff_parallel(width: int = 10):
    from SpiffWorkflow.specs import Join, Simple, WorkflowSpec

    spec = WorkflowSpec("parallel", addstart=True)
    fork = Simple(spec, "fork")  # a Simple with several outputs splits in parallel
    spec.start.connect(fork)
    join = Join(spec, "join")
    for i in range(width):
        branch = Simple(spec, f"b{i}")
        fork.connect(branch)
        branch.connect(join)
    join.connect(Simple(spec, "end"))
    return spec


def spiff_rate(make_spec) -> float:
    from SpiffWorkflow import Workflow
    from SpiffWorkflow.util.task import TaskState

    spec = make_spec()
    steps = 0
    started = time.perf_counter()
    for _ in range(RUNS):
        workflow = Workflow(spec)
        workflow.run_all()
        steps += len(workflow.get_tasks(state=TaskState.COMPLETED))
    return steps / (time.perf_counter() - started)


def main() -> None:
    print(f"routing core, in memory, {RUNS} runs per case (steps/s, higher is better)")
    for name, graph, spiff in (
        ("20-step linear", linear_graph(), spiff_linear),
        ("parallel split/join, width 10", parallel_graph(), spiff_parallel),
    ):
        ours = waymark_rate(graph)
        try:
            theirs = spiff_rate(spiff)
        except ImportError:
            print(f"{name:32} waymark {ours:>10,.0f}   (SpiffWorkflow not installed)")
            continue
        print(
            f"{name:32} waymark {ours:>10,.0f}   SpiffWorkflow {theirs:>8,.0f}   "
            f"ratio {ours / theirs:5.1f}x"
        )


if __name__ == "__main__":
    main()
