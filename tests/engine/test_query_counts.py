"""How much SQL a step, a human-task start and a completion cost, as exact numbers.

Performance is guarded by counting statements, not by timing (tests never
assert wall-clock time): a change that adds a query to every step of every
run fails here, on SQLite and on PostgreSQL alike. When a change removes one,
lower the number in the same commit (docs/benchmarks.md has the history).

Counted: every SQL statement the engine sends, except transaction control
(BEGIN, COMMIT, SAVEPOINT, RELEASE; inside a test every ``atomic`` block is a
savepoint, in production it is a committed transaction). ``writes`` are the
INSERTs, UPDATEs and DELETEs among them; ``transactions`` the atomic blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.handlers import handler
from engine.models import WorkItem, WorkItemState
from engine.services import runtime
from tests.engine.conftest import deploy

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@dataclass(frozen=True)
class Cost:
    statements: int
    writes: int
    transactions: int

    def __sub__(self, other: Cost) -> Cost:
        return Cost(
            self.statements - other.statements,
            self.writes - other.writes,
            self.transactions - other.transactions,
        )


@pytest.fixture(autouse=True)
def _caches_held(monkeypatch):
    """The per-process caches re-read themselves every 2 s; on a busy machine a test
    can take longer, and a refresh would count as a query of the step it fell in."""
    from engine.runtime import date_events, model_events
    from engine.webhooks import delivery

    monkeypatch.setattr(delivery, "ENDPOINT_CACHE_SECONDS", 3600.0)
    monkeypatch.setattr(model_events, "REFRESH_SECONDS", 3600.0)
    monkeypatch.setattr(date_events, "CACHE_SECONDS", 3600.0)


def measure(wm, fn, *args, **kwargs) -> tuple[Cost, object, list[str]]:
    """Run ``fn`` through the engine (queued steps included) and count its SQL."""
    with CaptureQueriesContext(connection) as captured:
        result = wm.run(fn, *args, **kwargs)
    sql = [q["sql"].lstrip() for q in captured.captured_queries]
    work = [s for s in sql if not s.upper().startswith(CONTROL)]
    writes = [s for s in work if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    atomic = [s for s in sql if s.upper().startswith(("SAVEPOINT", "BEGIN"))]
    return Cost(len(work), len(writes), len(atomic)), result, work


def linear(steps: int) -> str:
    code = f"qc_linear{steps}"
    keys = [f"s{i}" for i in range(steps)]
    chain = ["start", *keys, "end"]
    deploy(
        [{"key": k, "kind": "automatic", "handler": "test.noop"} for k in keys],
        [f"{a}>{b}" for a, b in zip(chain, chain[1:], strict=False)],
        code=code,
    )
    return code


@pytest.fixture
def human(wm, bob):
    """Assigned by expression, offered to a role, offered to a user, then one step."""
    Group.objects.create(name="qc-approvers").user_set.add(bob)
    deploy(
        [
            {"key": "review", "kind": "human", "assignee": "data.user"},
            {"key": "approve", "kind": "human", "roles": ["qc-approvers"]},
            {"key": "check", "kind": "human", "allowed_users": ["bob"]},
            {"key": "notify", "kind": "automatic", "handler": "test.noop"},
        ],
        ["start>review", "review>approve", "approve>check", "check>notify", "notify>end"],
        code="qc_human",
    )
    wm.start_run("qc_human", {"user": "bob"})  # warm: the graph and the endpoint list cached
    return bob


def _shown(sql: list[str]) -> str:
    return "\n".join(s[:160] for s in sql)


def test_an_automatic_step_costs_a_fixed_number_of_statements(wm):
    short, long = linear(3), linear(6)
    wm.start_run(short)
    wm.start_run(long)  # warm both graphs
    three, run3, sql3 = measure(wm, runtime.start_run, short)
    six, run6, sql6 = measure(wm, runtime.start_run, long)
    assert run3.refresh_from_db() or run3.state == "completed"
    assert run6.refresh_from_db() or run6.state == "completed"
    per_step = Cost(
        (six - three).statements // 3, (six - three).writes // 3, (six - three).transactions // 3
    )
    assert (six - three).statements % 3 == 0, _shown(sql6)
    # The run lock (with the workitem's state), the workitem completed, the next
    # workitem inserted already leased to this worker, the step's audit events
    # in one INSERT, the run updated.
    assert per_step == Cost(statements=5, writes=4, transactions=1), _shown(sql6)
    # The start (its process and published version cached) and the first step's
    # claim, the end, the run completed.
    assert three == Cost(statements=24, writes=17, transactions=4), (three, _shown(sql3))


def test_a_human_task_start_costs_a_fixed_number_of_statements(wm, human):
    cost, run, sql = measure(wm, runtime.start_run, "qc_human", {"user": "bob"})
    assert run.state == "waiting"
    # The run inserted (the process and its published version are cached), the
    # assignee looked up, the start and task workitems in one INSERT (no offers to
    # read for a new task; its open workitems known without a query), its audit
    # events, the run's state saved.
    assert cost == Cost(statements=5, writes=4, transactions=1), (cost, _shown(sql))


def test_a_completion_costs_a_fixed_number_of_statements(wm, human):
    run = runtime.start_run("qc_human", {"user": "bob"})
    task = run.workitems.get(activity_key="review")
    cost, _, sql = measure(wm, runtime.complete, task, user=human)
    assert WorkItem.objects.get(pk=task.pk).state == WorkItemState.COMPLETED
    assert run.workitems.get(activity_key="approve").state == WorkItemState.OFFERED
    # The workitem's run (named by the workitem passed) locked, the workitem
    # re-read (with whether it has offers and whether another workitem of the run
    # is open: neither, so no DELETE and no query for the run's state); no
    # permission query for its assignee; the task closed (a task without a timeout
    # has no timer to look for), the next task inserted and offered (its group
    # looked up by the INSERT ... SELECT of its offer), audit, the run.
    assert cost == Cost(statements=7, writes=5, transactions=1), (cost, _shown(sql))


def test_a_completion_by_id_and_by_a_candidate(wm, human):
    run = runtime.start_run("qc_human", {"user": "bob"})
    runtime.complete(run.workitems.get(activity_key="review"), user=human)
    task = run.workitems.get(activity_key="approve")
    cost, _, sql = measure(wm, runtime.complete, task.pk, user=human)
    assert WorkItem.objects.get(pk=task.pk).state == WorkItemState.COMPLETED
    # By id: the workitem's run looked up first. Offered to a role: whether bob is
    # a candidate is read with the task (never his permissions). The next task is
    # offered to a user by name (looked up by the INSERT ... SELECT of the offer).
    # Its offers withdrawn (one DELETE).
    assert cost == Cost(statements=9, writes=6, transactions=1), (cost, _shown(sql))
    assert not any("auth_permission" in s for s in sql), _shown(sql)


def test_a_listening_endpoint_gets_one_delivery_per_event_of_a_batched_step(wm, monkeypatch):
    from engine.models import AuditEvent, WebhookDelivery
    from engine.webhooks import delivery, endpoints, http

    sent = []
    monkeypatch.setattr(
        delivery.http,
        "post",
        lambda url, payload, *a, **k: sent.append(payload) or http.Attempt(200, "", "ok"),
    )
    code = linear(3)
    endpoint = endpoints.create_endpoint("https://hooks.example.com/in")
    run = wm.start_run(code)
    events = AuditEvent.objects.filter(instance=run)
    # run.started, and per step workitem.completed + workitem.created, then run.completed.
    assert events.count() == 1 + 3 + 3 + 1
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint, event__instance=run)
    assert sorted(d.event_id for d in deliveries) == sorted(e.pk for e in events)
    assert {d.state for d in deliveries} == {"succeeded"}
    assert len(sent) == events.count()


def test_an_event_in_a_savepoint_rolls_back_with_it_and_the_batch_keeps_the_rest(db):
    from django.db import transaction

    from engine.models import AuditEvent
    from engine.runtime import audit

    with transaction.atomic(), audit.batch():
        audit.record("test.kept")
        try:
            with transaction.atomic():
                audit.record("test.undone")
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        audit.record("test.kept_too")
        assert not AuditEvent.objects.filter(action__startswith="test.kept").exists()
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "test.kept",
        "test.kept_too",
    ]


SEEN: list[dict] = []


@handler("qc.peek")
def peek(ctx):
    """Notes which READY steps of the run are leased while this one runs."""
    rows = WorkItem.objects.filter(instance_id=ctx.instance_id, state=WorkItemState.READY)
    SEEN.append({w.activity_key: w.lease_expires_at is not None for w in rows})


def test_the_step_a_chain_goes_on_with_is_inserted_leased_and_its_siblings_are_not(wm):
    deploy(
        [
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
            {"key": "split", "kind": "parallel"},
            {"key": "b1", "kind": "automatic", "handler": "qc.peek"},
            {"key": "b2", "kind": "automatic", "handler": "qc.peek"},
            {"key": "join", "kind": "parallel"},
        ],
        ["start>a", "a>split", "split>b1", "split>b2", "b1>join", "b2>join", "join>end"],
        code="qc_split",
    )
    SEEN.clear()
    run = wm.start_run("qc_split")
    run.refresh_from_db()
    assert run.state == "completed"
    # b1 runs on in the worker that ran a (leased in a's commit); b2 waits for
    # its message, unleased, so any worker's claim may take it.
    assert SEEN == [{"b1": True, "b2": False}, {"b2": True}]


def test_a_first_start_reads_the_version_once(wm, human):
    from engine.models.definitions import clear_graph_cache
    from engine.services.processes import forget_startable

    warm, _, _ = measure(wm, runtime.start_run, "qc_human", {"user": "bob"})
    clear_graph_cache()
    forget_startable()
    cold, _, sql = measure(wm, runtime.start_run, "qc_human", {"user": "bob"})
    # The published version with its process (one query), then the graph's
    # activities and transitions: the version is not read again for the graph.
    assert cold - warm == Cost(statements=3, writes=0, transactions=0), _shown(sql)
    assert sum('FROM "engine_version"' in s for s in sql) == 1, _shown(sql)


def test_a_free_worker_runs_the_next_parallel_branch_without_its_message(wm, monkeypatch):
    from engine.runtime import worker

    claims = []
    real_claim = worker._claim

    def counted(workitem):
        taken = real_claim(workitem)
        claims.append((workitem.activity_key, taken))
        return taken

    monkeypatch.setattr(worker, "_claim", counted)
    branches = ["b1", "b2", "b3"]
    deploy(
        [{"key": "split", "kind": "parallel"}, {"key": "join", "kind": "parallel"}]
        + [{"key": b, "kind": "automatic", "handler": "test.noop"} for b in branches],
        ["start>split", "join>end"]
        + [f"split>{b}" for b in branches]
        + [f"{b}>join" for b in branches],
        code="qc_par",
    )
    run = wm.start_run("qc_par")
    run.refresh_from_db()
    assert run.state == "completed"
    assert run.workitems.filter(activity_key__in=branches, state="completed").count() == 3
    # The first message's worker ran all three branches; the other two messages
    # found their steps done and claimed nothing (no step ran twice).
    assert claims == [("b1", True)]


def test_batched_events_are_stored_as_the_orm_stores_them(wm, bob):
    from django.db import transaction

    from engine.models import AuditEvent
    from engine.runtime import audit

    code = linear(1)
    run = wm.start_run(code)
    step = run.workitems.get(activity_key="s0")
    fields = {
        "actor": bob,
        "status_from": "ready",
        "status_to": "completed",
        "metadata": {"outcome": "Ja, gern", "nested": [1, {"x": None}], "n": 2.5},
    }
    with transaction.atomic(), audit.batch():
        batched = [audit.record("test.one", run, step, **fields), audit.record("test.two", run)]
    plain = audit.record("test.one", run, step, **fields)
    assert [e.pk for e in batched] == sorted(e.pk for e in batched) and plain.pk > batched[1].pk

    def stored(pk):
        row = AuditEvent.objects.filter(pk=pk).values().get()
        return {k: v for k, v in row.items() if k not in ("id", "created_at")}

    assert stored(batched[0].pk) == stored(plain.pk)
    assert stored(batched[1].pk)["workitem_id"] is None
    assert AuditEvent.objects.get(pk=batched[0].pk).created_at is not None


def test_a_task_with_a_timeout_goes_in_with_its_due_date(wm, bob):
    deploy(
        [
            {"key": "h", "kind": "human", "assignee": "data.user"},
            {"key": "late", "kind": "automatic", "handler": "test.noop"},
        ],
        [
            "start>h",
            "h>end",
            {"source": "h", "target": "late", "condition": "timeout:3d"},
            "late>end",
        ],
        code="qc_timeout",
    )
    wm.start_run("qc_timeout", {"user": "bob"})  # warm
    cost, run, sql = measure(wm, runtime.start_run, "qc_timeout", {"user": "bob"})
    task = run.workitems.get(activity_key="h")
    assert task.due_at is not None and task.timers.get().due_at == task.due_at
    # As a start without a timeout, and the timer's INSERT: no UPDATE of the new task.
    assert cost == Cost(statements=6, writes=5, transactions=1), (cost, _shown(sql))
    assert not any(s.startswith('UPDATE "engine_workitem"') for s in sql), _shown(sql)
