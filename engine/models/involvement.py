"""A person's runs, newest (or oldest) first, read by index walks that stop (issue 16).

A person is involved in a run they started, in which a workitem is assigned to
or was completed by them, or in which an open task is offered to them or one of
their groups (``ProcessInstanceQuerySet.involving``). Listing those runs by
start time used to read every one of them (a union of id sets) and sort: the
cost grew with the person's history.

Each source row now carries its run's ``started_at`` (``run_started_at``,
copied when the row is written: a run's start never changes), indexed after
the person, so each source is walked in the list's order and stops after
``upto`` runs; the union of those short walks holds the first ``upto`` runs of
all. No statement is added to any writer: the value rides on the workitem's
and the offers' INSERTs that happen anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, models
from django.db.models import Q

# Workitems and offers of runs started before this column existed are filled by
# migration 0015; rows written since get it from the run (engine.runtime.walk,
# engine.runtime.kinds.set_candidates).
RUN_START_HELP = "the run's started_at, copied: a person's runs list walks it in order"


def run_start_copy() -> models.DateTimeField:
    """The ``run_started_at`` column of workitems and offers."""
    return models.DateTimeField(null=True, blank=True, editable=False, help_text=RUN_START_HELP)


def fill_run_start(row: Any) -> None:
    """Give a workitem or an offer saved outside the engine's walk (the admin, a
    fixture, a data fix) its run's start, so it shows in its people's runs lists."""
    if row.run_started_at is None and row.instance_id is not None:
        row.run_started_at = row.instance.started_at


# Partial: automatic steps (no assignee, no completer) add no index entry.
WORKITEM_INDEXES = [
    models.Index(
        fields=["assignee", "-run_started_at", "-instance"],
        condition=Q(assignee__isnull=False),
        name="wi_assignee_run_time",
    ),
    models.Index(
        fields=["completed_by", "-run_started_at", "-instance"],
        condition=Q(completed_by__isnull=False),
        name="wi_completer_run_time",
    ),
]
CANDIDATE_INDEXES = [
    models.Index(
        fields=["user", "-run_started_at", "-instance"],
        condition=Q(user__isnull=False),
        name="candidate_user_run_time",
    ),
    models.Index(
        fields=["group", "-run_started_at", "-instance"],
        condition=Q(group__isnull=False),
        name="candidate_group_run_time",
    ),
]


def involved_rows(
    user: Any,
    upto: int,
    *,
    group_ids: list[int],
    oldest: bool = False,
    state: str | None = None,
    tenant_id: str | None = None,
) -> list[tuple[int, str]]:
    """The first ``upto`` runs ``user`` is involved in, as ``(pk, state)`` in list
    order (newest first, or oldest first): one query.

    ``state``: only runs in that state; ``tenant_id``: only that tenant's runs
    (None: tenancy off). Each source walks its ``(person, run start)`` index
    and stops after ``upto`` distinct runs (joined to the run only when a state
    or a tenant narrows it); the union is cut to ``upto`` and then joined to
    the runs for their states.
    """
    from engine.models.runtime import ProcessInstance

    if upto <= 0:
        return []
    connection = connections[ProcessInstance.objects.db]
    run_table = connection.ops.quote_name(ProcessInstance._meta.db_table)
    direction = "ASC" if oldest else "DESC"
    narrow, narrow_params = "", []
    if state is not None:
        narrow += " AND r.state = %s"
        narrow_params.append(state)
    if tenant_id is not None:
        narrow += " AND r.tenant_id = %s"
        narrow_params.append(tenant_id)
    keys = {"started": [user.pk], "assignee_id": [user.pk], "completed_by_id": [user.pk]}
    keys |= {"user_id": [user.pk], "group_id": sorted(group_ids)}
    legs, params = _walks(connection, keys, direction, narrow, narrow_params, upto)
    # Each walk in its own derived table: SQLite takes no LIMIT on a leg of a UNION.
    union = " UNION ".join(f"SELECT t, run_id FROM ({leg}) w{i}" for i, leg in enumerate(legs))
    # The runs' states by key, in the walks' order: no start time comes back to
    # Python (SQLite's times are text the ORM would parse, row by row).
    cut = f"FROM ({union}) u ORDER BY t {direction}, run_id {direction} LIMIT %s"
    sql = (
        f"SELECT r.id, r.state FROM (SELECT t, run_id {cut}) p "
        f"CROSS JOIN {run_table} r WHERE r.id = p.run_id "
        f"ORDER BY p.t {direction}, p.run_id {direction}"
    )
    if connection.vendor == "postgresql":
        # Joined to that list, PostgreSQL hashed every run (a scan of the table) for
        # 1,001 keys; from an array it looks each run up by its key.
        sql = (
            f"SELECT r.id, r.state FROM unnest(ARRAY(SELECT run_id {cut})) "
            f"WITH ORDINALITY AS p(run_id, n) "
            f"JOIN {run_table} r ON r.id = p.run_id ORDER BY p.n"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, upto])
        return [(pk, value) for pk, value in cursor.fetchall()]


def _walks(
    connection: Any, keys: dict, direction: str, narrow: str, narrow_params: list, upto: int
) -> tuple[list[str], list[Any]]:
    """One walk per source and key (``keys``: source column -> the person's keys),
    each in list order, stopping after ``upto`` runs: ``(statements, params)``."""
    from engine.models.runtime import ProcessInstance, WorkItem, WorkItemCandidate

    quote = connection.ops.quote_name
    run_table = quote(ProcessInstance._meta.db_table)
    # The run tested by a scalar subquery: looked up by its key per row walked.
    # Joined, PostgreSQL hashed every run in the state (or the tenant) instead.
    on_run = (
        f" AND (SELECT r.id FROM {run_table} r WHERE r.id = s.instance_id{narrow}) IS NOT NULL"
        if narrow
        else ""
    )
    legs, params = [], []
    for key in keys["started"]:  # the run rows themselves, on run_starter_time
        legs.append(
            f"SELECT r.started_at AS t, r.id AS run_id FROM {run_table} r "
            f"WHERE r.started_by_id = %s{narrow} "
            f"ORDER BY r.started_at {direction}, r.id {direction} LIMIT %s"
        )
        params += [key, *narrow_params, upto]
    for column in ("assignee_id", "completed_by_id", "user_id", "group_id"):
        model = WorkItem if column in ("assignee_id", "completed_by_id") else WorkItemCandidate
        for key in keys[column]:
            # DISTINCT: a person often has several workitems (or offers) in one run.
            legs.append(
                f"SELECT DISTINCT s.run_started_at AS t, s.instance_id AS run_id "
                f"FROM {quote(model._meta.db_table)} s "
                f"WHERE s.{column} = %s{on_run} "
                f"ORDER BY t {direction}, run_id {direction} LIMIT %s"
            )
            params += [key, *narrow_params, upto]
    return legs, params
