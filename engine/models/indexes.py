"""The secondary indexes of the workitem table, and what each costs a step.

Every INSERT, and every UPDATE of an indexed column, dirties a page in each
index b-tree it touches, and each dirty page is written again at every
commit (SQLite: one WAL frame, and the checkpoint copies it; PostgreSQL: WAL
and later the page). An automatic step commits once, so each index its
workitem lands in is a page per step (docs/benchmarks.md, "The gap with
viewflow, traced"). Hence:

- an index that only people's tasks need is partial on the column its
  queries name with ``=`` (``assignee_id = %s`` implies ``IS NOT NULL``, on
  SQLite and PostgreSQL alike, so the planner still takes it); an
  automatic step, where that column is NULL, never enters it;
- a foreign key whose index would only repeat the first column of another
  index gets none (``db_index=False`` on the field): ``instance`` leads
  ``wi_instance_state`` and the ``(instance, seq)`` constraint, ``assignee``
  leads ``wi_inbox``, ``completed_by`` leads ``wi_done``;
- the foreign keys that are NULL on almost every row (``delegated_by``,
  ``gateway``) keep an index for the deletes that follow them, partial too;
- a time column of an index every step writes is ascending (``wi_state_time``,
  and ``audit_process_time`` in audit.py): the new entry lands after the
  others of its key, where a full page splits cheaply; descending put it
  first and cost more pages. Lists newest first read the index backwards
  (every ORDER BY here runs all its columns one way).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from engine.core import states as core_states

HUMAN_OPEN_STATES = sorted(core_states.HUMAN_OPEN_STATES)

WORKITEM_BASE_INDEXES = [
    models.Index(fields=["instance", "state"], name="wi_instance_state"),
    # A person's own tasks (inbox, permissions): queries say assignee = someone.
    models.Index(
        fields=["assignee", "state", "-created_at"],
        condition=Q(assignee__isnull=False),
        name="wi_inbox",
    ),
    models.Index(fields=["state", "created_at"], name="wi_state_time"),
    # What a person completed: queries say completed_by = someone.
    models.Index(
        fields=["completed_by", "-completed_at"],
        condition=Q(completed_by__isnull=False),
        name="wi_done",
    ),
    # SET NULL when a user is deleted, CASCADE when a gateway's workitem is.
    models.Index(
        fields=["delegated_by"], condition=Q(delegated_by__isnull=False), name="wi_delegated_by"
    ),
    models.Index(fields=["gateway"], condition=Q(gateway__isnull=False), name="wi_gateway"),
    models.Index(
        fields=["dispatched_at"],
        condition=Q(state="ready"),
        name="wi_ready_dispatched",
    ),
    models.Index(
        fields=["lease_expires_at"],
        condition=Q(state="ready", lease_expires_at__isnull=False),
        name="wi_ready_lease",
    ),
    models.Index(
        fields=["signal_name", "correlation_value"],
        condition=Q(state="waiting"),
        name="wi_signal_wait",
    ),
    models.Index(
        fields=["sla_warn_at"],
        condition=Q(sla_warned_at__isnull=True, state__in=HUMAN_OPEN_STATES),
        name="wi_sla_warn_due",
    ),
    models.Index(
        fields=["sla_breach_at"],
        condition=Q(sla_breached_at__isnull=True, state__in=HUMAN_OPEN_STATES),
        name="wi_sla_breach_due",
    ),
]
