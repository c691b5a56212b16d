"""Runtime rows: runs, their workitems and the people they are offered to.

These tables are the engine's ledger. Django-Q2 messages carry only ids and
may be lost or delivered twice; what is due to happen is always readable
here (READY workitems with ``dispatched_at``, unfired ``Timer`` rows in
``engine.models.waiting``), so the timer loop and the reconciler can ring the
doorbell again.

Writers are the functions in ``engine.services`` and ``engine.runtime``;
the QuerySet methods below are the reads the inbox and run pages use.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from engine.core import graph as core_graph
from engine.core import states as core_states
from engine.models.definitions import ActivityKind, Version
from engine.models.indexes import WORKITEM_BASE_INDEXES
from engine.models.involvement import (
    CANDIDATE_INDEXES,
    WORKITEM_INDEXES,
    fill_run_start,
    run_start_copy,
)


class RunState(models.TextChoices):
    """Values from engine.core.states.RunState (which holds the allowed moves)."""

    RUNNING = core_states.RunState.RUNNING.value, "Running"
    WAITING = core_states.RunState.WAITING.value, "Waiting"
    SUSPENDED = core_states.RunState.SUSPENDED.value, "Suspended"
    FAILED = core_states.RunState.FAILED.value, "Failed"
    COMPLETED = core_states.RunState.COMPLETED.value, "Completed"
    CANCELLED = core_states.RunState.CANCELLED.value, "Cancelled"
    FAILED_AT_END = core_states.RunState.FAILED_AT_END.value, "Failed (at an end)"


class WorkItemState(models.TextChoices):
    """Values from engine.core.states.WorkItemState (which holds the allowed moves)."""

    OFFERED = core_states.WorkItemState.OFFERED.value, "Offered"
    ASSIGNED = core_states.WorkItemState.ASSIGNED.value, "Assigned"
    READY = core_states.WorkItemState.READY.value, "Ready"
    RETRY = core_states.WorkItemState.RETRY.value, "Waiting to retry"
    WAITING = core_states.WorkItemState.WAITING.value, "Waiting"
    COMPLETED = core_states.WorkItemState.COMPLETED.value, "Completed"
    TIMED_OUT = core_states.WorkItemState.TIMED_OUT.value, "Timed out"
    FALLOUT = core_states.WorkItemState.FALLOUT.value, "Fallen out"
    CANCELLED = core_states.WorkItemState.CANCELLED.value, "Cancelled"


OPEN_STATES = sorted(core_states.OPEN_WORKITEM_STATES)
HUMAN_OPEN_STATES = sorted(core_states.HUMAN_OPEN_STATES)


# Runs ------------------------------------------------------------------------------


class ProcessInstanceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=sorted(core_states.ACTIVE_RUN_STATES | {RunState.SUSPENDED}))

    def failed(self):
        return self.filter(state=RunState.FAILED)

    def involving_each(self, user):
        """Runs ``user`` started, works or worked on, or is offered work in, tested run by run.

        Correlated EXISTS tests: a lookup by id (the run page) checks just that
        run through indexes, and a list newest-first stops after a page. Who
        sees every run instead is engine.permissions' business, not this one's.
        """
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        group_ids = list(user.groups.values_list("pk", flat=True))
        run = OuterRef("pk")
        return self.filter(
            Q(started_by=user)
            | Exists(WorkItem.objects.filter(instance=run, assignee=user))
            | Exists(WorkItem.objects.filter(instance=run, completed_by=user))
            | Exists(
                WorkItemCandidate.objects.filter(instance=run).filter(
                    Q(user=user) | Q(group_id__in=group_ids)
                )
            )
        )

    def involving(self, user):
        """Runs ``user`` started, works or worked on, or is offered work in: for list pages.

        The same runs as ``involving_each``, computed as a union of small id
        sets, which suits a list ordered by start time better.
        """
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        group_ids = list(user.groups.values_list("pk", flat=True))
        ids = (
            self.model.objects.filter(started_by=user)
            .order_by()
            .values("pk")
            .union(
                WorkItem.objects.filter(assignee=user).order_by().values("instance_id"),
                WorkItem.objects.filter(completed_by=user).order_by().values("instance_id"),
                # The user's and the groups' offers apart: SQLite uses no index
                # for ``user_id = ? OR group_id IN (...)``.
                WorkItemCandidate.objects.filter(user=user).order_by().values("instance_id"),
                WorkItemCandidate.objects.filter(group_id__in=group_ids)
                .order_by()
                .values("instance_id"),
            )
        )
        return self.filter(pk__in=ids)


class ProcessInstance(models.Model):
    """One run of a process, pinned to the version it started on."""

    process = models.ForeignKey(
        "engine.Process", on_delete=models.PROTECT, related_name="instances"
    )
    version = models.ForeignKey(
        "engine.Version", on_delete=models.PROTECT, related_name="instances"
    )
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.RUNNING)
    # The last outcome chosen (a human task's outcome or a handler's): what
    # ``instance.condition`` means in transition conditions.
    condition = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)  # the data when the run completed
    business_key = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="started_runs",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Why it failed at an end (state failed_at_end): that end's reason, filled from the data.
    failure_reason = models.CharField(max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The subprocess workitem of the parent run that waits for this run.
    parent_workitem = models.ForeignKey(
        "engine.WorkItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="child_runs",
    )
    # Bumped by every change: lets a page or an API client detect a stale copy.
    lock_version = models.PositiveIntegerField(default=0)
    # Activities visited so far; every workitem takes the next number (``seq``).
    step_count = models.PositiveIntegerField(default=0)
    suspended_from = models.CharField(max_length=16, blank=True)
    tenant_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The key of the trigger that started this run ("" for explicit starts).
    trigger_key = models.CharField(max_length=64, blank=True, db_index=True)
    # The value at the process's singleton_key in the start data ("" when it has none):
    # the constraint below keeps one active run per value, even under concurrent starts.
    singleton_value = models.CharField(max_length=200, blank=True)
    # The Idempotency-Key of the start request (None: none given): a retried start with
    # the same key returns this run (engine.services.idempotency); unique per process.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    # A digest of that start request, so the same key with a different body is refused.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)

    objects = ProcessInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["process", "state", "-started_at"], name="run_process_state_time"),
            # The runs list filtered by process alone, newest first.
            models.Index(fields=["process", "-started_at"], name="run_process_time"),
            models.Index(fields=["state", "-started_at"], name="run_state_time"),
            models.Index(fields=["-started_at"], name="run_time"),
            models.Index(fields=["business_key"], name="run_business_key"),
            models.Index(fields=["started_by", "-started_at"], name="run_starter_time"),
            models.Index(fields=["version", "state"], name="run_version_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "singleton_value"],
                condition=~Q(singleton_value="")
                & ~Q(state__in=sorted(s.value for s in core_states.TERMINAL_RUN_STATES)),
                name="one_active_run_per_singleton_value",
            ),
            models.UniqueConstraint(
                fields=["process", "tenant_id", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="one_run_per_idempotency_key",
            ),
        ]
        permissions = [
            ("manage_runs", "Can cancel, suspend, resume, retry and edit any run"),
        ]

    def __str__(self) -> str:
        key = f" {self.business_key}" if self.business_key else ""
        return f"run {self.pk}{key} ({self.state})"

    @property
    def status(self) -> str:
        """ACTIVE, SUCCEEDED, FAILED or CANCELLED: the coarse status the API shows."""
        return core_states.public_status(self.state).value

    @property
    def is_active(self) -> bool:
        return self.state in core_states.ACTIVE_RUN_STATES

    @property
    def is_finished(self) -> bool:
        return self.state in core_states.TERMINAL_RUN_STATES

    def activity_states(self) -> dict[str, dict]:
        """Per activity key: its latest workitem's state and how often it was visited.

        For drawing the run on its graph (one query):
        ``{"review": {"state": "assigned", "visits": 2, "workitem": 41}, ...}``.
        """
        found: dict[str, dict] = {}
        rows = self.workitems.order_by("seq").values_list("activity_key", "state", "pk")
        for key, state, pk in rows:
            entry = found.setdefault(key, {"visits": 0})
            entry.update(state=state, workitem=pk)
            entry["visits"] += 1
        return found


# Workitems -------------------------------------------------------------------------


def _group_ids(user) -> list[int]:
    return list(user.groups.values_list("pk", flat=True))


class WorkItemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def human(self):
        return self.filter(activity_kind=ActivityKind.HUMAN)

    def inbox(self, user):
        """Human workitems assigned to ``user`` and still open, newest first."""
        return self.filter(assignee=user, state=WorkItemState.ASSIGNED).order_by(
            "-created_at", "-pk"
        )

    def available(self, user, *, groups: list[int] | None = None):
        """Human workitems offered to ``user`` (directly or through a group), unclaimed.

        ``groups``: the user's group ids, when the caller has read them already.
        """
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        # Group ids as literals (not a subquery) let the database use the
        # candidate indexes and estimate how many offers the user has. A UNION
        # of the user's and the groups' lookups, not one OR: SQLite uses no
        # index for ``user_id = ? OR group_id IN (...)`` and scans the table.
        group_ids = _group_ids(user) if groups is None else groups
        offered = (
            WorkItemCandidate.objects.filter(user=user)
            .order_by()
            .values("workitem_id")
            .union(
                WorkItemCandidate.objects.filter(group_id__in=group_ids)
                .order_by()
                .values("workitem_id")
            )
        )
        return self.filter(state=WorkItemState.OFFERED, pk__in=offered).order_by(
            "-created_at", "-pk"
        )

    def available_first(
        self, user, upto: int, *, oldest: bool = False, groups: list[int] | None = None
    ):
        """The first ``upto`` rows of ``available(user)`` in creation order (newest first,
        or oldest first), whatever the number of offers: one query.

        Each of the user's offer keys (the user, each of their groups) walks its
        candidate index in that order and stops after ``upto`` unclaimed offers;
        the union of those short lists holds the first ``upto`` of all. Other
        sorts and filters go through ``available`` (they cannot stop early).
        """
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        order = ("created_at", "workitem_id") if oldest else ("-created_at", "-workitem_id")
        group_ids = _group_ids(user) if groups is None else groups
        keys = [Q(user=user)] + [Q(group_id=pk) for pk in sorted(group_ids)]
        sliced_legs = connections[self.db].features.supports_slicing_ordering_in_compound
        walks = [
            # Candidates exist only while their workitem is open (offered or
            # claimed): leaving out the claimed ones is the same filter as
            # "offered", but PostgreSQL then estimates (rightly) that most rows
            # pass and walks the index; with ``state = 'offered'`` (1 % of all
            # workitems) it read and sorted every offer of the group.
            WorkItemCandidate.objects.filter(key)
            .exclude(workitem__state=WorkItemState.ASSIGNED)
            .order_by(*order)
            .values("workitem_id" if sliced_legs else "pk")[:upto]
            for key in keys
        ]
        if not sliced_legs:
            # SQLite takes no LIMIT on a leg of a compound statement: each walk
            # is wrapped (``pk IN (… LIMIT n)``). Not on PostgreSQL, which then
            # joined the wrapper by a scan of every open offer.
            walks = [
                WorkItemCandidate.objects.filter(pk__in=walk).order_by().values("workitem_id")
                for walk in walks
            ]
        offered = walks[0].union(*walks[1:], all=True) if len(walks) > 1 else walks[0]
        items = self.filter(state=WorkItemState.OFFERED, pk__in=offered)
        return (
            items.order_by("created_at", "pk") if oldest else items.order_by("-created_at", "-pk")
        )

    def done(self, user):
        """Workitems ``user`` completed, most recent first."""
        return self.filter(completed_by=user, state=WorkItemState.COMPLETED).order_by(
            "-completed_at", "-pk"
        )

    def overdue(self, now=None):
        now = now or timezone.now()
        return self.filter(state__in=HUMAN_OPEN_STATES, sla_breach_at__lte=now)


class WorkItem(models.Model):
    """One visit of a run to an activity: a person's task, an automatic step, a wait."""

    instance = models.ForeignKey(  # no index of its own: it leads two others (indexes.py)
        ProcessInstance, on_delete=models.CASCADE, related_name="workitems", db_index=False
    )
    seq = models.PositiveIntegerField(help_text="visit number within the run")
    activity_key = models.CharField(max_length=64)
    activity_kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    name = models.CharField(max_length=200, blank=True)  # the activity's label at the visit
    state = models.CharField(max_length=16, choices=WorkItemState.choices)
    # The transition the run arrived by (empty for the start).
    arrived_via = models.CharField(max_length=64, blank=True)
    # human tasks
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_workitems",
        db_index=False,  # wi_inbox leads with it (engine/models/indexes.py)
    )
    delegated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial: wi_delegated_by (engine/models/indexes.py)
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="completed_workitems",
        db_index=False,  # wi_done leads with it (engine/models/indexes.py)
    )
    outcome = models.CharField(max_length=200, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    # automatic tasks
    attempts = models.PositiveIntegerField(default=0, help_text="failed attempts so far")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="last queued")
    # Set when a worker takes a READY step and renewed by its heartbeat while
    # the handler runs; a READY step whose lease lapsed lost its worker.
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="the worker running this step holds it until then"
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    compensated_at = models.DateTimeField(null=True, blank=True)
    # waits
    due_at = models.DateTimeField(null=True, blank=True, help_text="timer or timeout")
    signal_name = models.CharField(max_length=200, blank=True)
    correlation_value = models.CharField(max_length=255, blank=True)
    # A wait armed by a "wait for the first" gateway: the gateway's workitem
    # (the first of its waits to fire cancels the others; engine.runtime.first_of).
    gateway = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="armed_waits",
        db_index=False,  # partial: wi_gateway (engine/models/indexes.py)
    )
    # SLA
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_breach_at = models.DateTimeField(null=True, blank=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    # times
    created_at = models.DateTimeField(default=timezone.now)
    run_started_at = run_start_copy()  # engine.models.involvement
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change; a queue message carries the value it was sent
    # with, so a stale or duplicated message is recognised and ignored.
    lock_version = models.PositiveIntegerField(default=0)

    objects = WorkItemQuerySet.as_manager()

    def save(self, *args: Any, **kwargs: Any) -> None:
        fill_run_start(self)
        super().save(*args, **kwargs)

    class Meta:
        ordering = ["instance", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "seq"], name="workitem_seq_unique"),
        ]
        # engine/models/indexes.py: what each costs a step; involvement.py: the runs list
        indexes = [*WORKITEM_BASE_INDEXES, *WORKITEM_INDEXES]
        permissions = [
            ("manage_workitems", "Can assign, reassign and act on any workitem"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.activity_key} #{self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in core_states.OPEN_WORKITEM_STATES

    @property
    def is_human(self) -> bool:
        return self.activity_kind == ActivityKind.HUMAN

    @property
    def activity(self) -> core_graph.Activity:
        """The activity this workitem visits, from its run's (cached) version graph."""
        return Version.graph_of(self.instance.version_id).activity(self.activity_key)


class WorkItemCandidate(models.Model):
    """A user or a group that an open human workitem is offered to.

    One row per candidate, indexed by user and by group, so "available to me"
    is an index lookup however many workitems exist. Rows are deleted when the
    workitem closes, so the table only holds open offers.
    """

    workitem = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="candidates")
    # The workitem's run, copied: "runs I may see" needs no join through workitems.
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The workitem's created_at, copied where the rows are written
    # (engine.runtime.kinds.set_candidates): "Available", newest first, walks
    # the (user or group, -created_at) index and stops after a page instead of
    # reading and sorting every open offer.
    created_at = models.DateTimeField(default=timezone.now)
    run_started_at = run_start_copy()  # engine.models.involvement

    def save(self, *args: Any, **kwargs: Any) -> None:
        fill_run_start(self)
        super().save(*args, **kwargs)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at", "-workitem"], name="candidate_user_time"),
            models.Index(fields=["group", "-created_at", "-workitem"], name="candidate_group_time"),
            *CANDIDATE_INDEXES,
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="candidate_user_xor_group",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"group {self.group_id}"
        return f"workitem {self.workitem_id} offered to {who}"
