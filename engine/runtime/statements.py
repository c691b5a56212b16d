"""Fast statements: the SQL of a step's hot path, compiled by Django once.

Django compiles every ORM query anew, and on a step's hot path that cost more
than the database itself (profiled: the lock query alone took a quarter of a
step). The statements below are compiled by Django once per database (so the
SQL is right for each vendor: ``FOR UPDATE OF``, ``SKIP LOCKED``, quoting)
and then run with new parameters.

This module leans on Django's SQL compiler internals, which are not a public
API: ``compiler.select``, ``compiler.klass_info["select_fields"]``,
``compiler.annotation_col_map`` and ``compiler.get_converters``. They were
checked against the Django versions in ``CHECKED_DJANGO``;
``tests/engine/test_statements.py`` fails loudly on any other version (and
compares every statement's result with the plain ORM's), so an upgrade is a
deliberate re-check, not a surprise. Everything else in the engine uses the
ORM as usual.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections, router
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.db.models import DateField, Exists, Field, Model, OuterRef, Q, QuerySet, Subquery

from engine.models import ProcessInstance, Timer, WorkItem, WorkItemCandidate
from engine.models.runtime import OPEN_STATES

# (major, minor) versions of Django whose compiler internals this module was checked against.
CHECKED_DJANGO = ((5, 2),)

M = TypeVar("M", bound=Model)

RUN = -7_000_000_001  # placeholder ids the statements are compiled with
WORKITEM = -7_000_000_002
USER = -7_000_000_003


def _build_lock_with_workitem(alias: str) -> QuerySet:
    row = WorkItem.objects.using(alias).filter(pk=WORKITEM)
    return (
        ProcessInstance.objects.using(alias)
        .select_for_update(of=("self",))
        .annotate(
            locked_wi_state=Subquery(row.values("state")[:1]),
            locked_wi_version=Subquery(row.values("lock_version")[:1]),
        )
        .filter(pk=RUN)
    )


def _build_try_lock(alias: str) -> QuerySet:
    return (
        ProcessInstance.objects.using(alias)
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk=RUN)
    )


def _build_workitem(alias: str) -> QuerySet:
    return WorkItem.objects.using(alias).filter(pk=WORKITEM)


def _build_task(alias: str) -> QuerySet:
    # A human task re-read under its run's lock, with what its door would otherwise ask
    # in queries of their own: whether any other workitem of the run is open (if none,
    # the walk knows the run's open workitems), whether it has offers to withdraw, and
    # whether it is offered to the person (USER) by name or through a group (as
    # engine.permissions.is_candidate asks).
    others = (
        WorkItem.objects.using(alias)
        .filter(instance_id=OuterRef("instance_id"), state__in=OPEN_STATES)
        .exclude(pk=WORKITEM)
    )
    offers = WorkItemCandidate.objects.using(alias).filter(workitem_id=WORKITEM)
    memberships = get_user_model().groups.through.objects.using(alias).filter(user_id=USER)
    offered = offers.filter(Q(user_id=USER) | Q(group_id__in=memberships.values("group_id")))
    return (
        WorkItem.objects.using(alias)
        .annotate(others_open=Exists(others), has_offers=Exists(offers), offered_to=Exists(offered))
        .filter(pk=WORKITEM)
    )


STATEMENTS = {
    "lock_with_workitem": _build_lock_with_workitem,
    "try_lock": _build_try_lock,
    "workitem": _build_workitem,
    "task": _build_task,
}


class Statement:
    """A SELECT of one model's row (and annotations), compiled once, run by ids."""

    def __init__(self, queryset: QuerySet):
        alias = queryset.db
        compiler = queryset.order_by().query.get_compiler(using=alias)
        self.alias = alias
        self.model = queryset.model
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        select = compiler.select
        fields = compiler.klass_info["select_fields"]
        self.model_slice = slice(fields[0], fields[-1] + 1)
        self.attnames = [column.target.attname for column, _, _ in select[self.model_slice]]
        self.annotations = dict(compiler.annotation_col_map)
        self.converters = compiler.get_converters([column for column, _, _ in select])

    def first(self, ids: dict[Any, Any]) -> tuple[Model, dict[str, Any]] | None:
        """(instance, {annotation: value}) of the first row, or None.

        ``ids`` maps the placeholders (RUN, WORKITEM; a str one) to this call's values.
        """
        params = [ids.get(p, p) if isinstance(p, int | str) else p for p in self.params]
        connection = connections[self.alias]
        with _executed(connection, self.sql, params) as cursor:
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, (converters, expression) in self.converters.items():
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        obj = self.model.from_db(self.alias, self.attnames, row[self.model_slice])
        return obj, {name: row[position] for name, position in self.annotations.items()}


@contextlib.contextmanager
def _executed(connection: Any, sql: str, params: Sequence[Any]) -> Iterator[Any]:
    """A cursor that has run ``sql`` (%s placeholders): ``with`` it, then fetch.

    On SQLite the statement goes to the driver already in its own ``?`` style:
    Django's cursor rewrites every statement's placeholders with a regular
    expression (profiled: more than any other Python work of a step's SQL).
    Whenever anyone looks at the SQL (``connection.queries``, the tests' query
    counts, ``execute_wrapper``), it goes through Django's cursor as before, so
    nothing is hidden; errors are Django's either way (``wrap_database_errors``).
    """
    with connection.cursor() as cursor:
        if (
            connection.vendor != "sqlite"
            or connection.queries_logged
            or connection.execute_wrappers
        ):
            cursor.execute(sql, params)
        else:
            connection.validate_no_broken_transaction()
            with connection.wrap_database_errors:
                sqlite3.Cursor.execute(cursor.cursor, _qmark(sql), params)
        yield cursor


@lru_cache(maxsize=256)
def _qmark(sql: str) -> str:
    """``sql`` as Django's SQLite cursor would send it (``%s`` -> ``?``, ``%%`` -> ``%``)."""
    return SQLiteCursorWrapper.convert_query(cast(Any, None), sql)


def statement(name: str) -> Statement:
    """The compiled statement ``name`` (of STATEMENTS) for the database runs are written to."""
    alias = router.db_for_write(ProcessInstance)
    return _compiled(name, alias, connections[alias].vendor)


@lru_cache(maxsize=32)
def _compiled(name: str, alias: str, vendor: str) -> Statement:
    return Statement(STATEMENTS[name](alias))


# New rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    # (attname, default value, or the function making a fresh one per row), in field order
    columns: tuple[tuple[str, Any, Any], ...]
    attnames: dict[str, str]  # field name or attname -> attname
    relations: dict[str, Field]  # foreign key name ("instance") -> its field


@lru_cache(maxsize=32)
def _layout(model: type[Model]) -> _Layout:
    fields = model._meta.concrete_fields
    attnames = {f.attname: f.attname for f in fields} | {f.name: f.attname for f in fields}
    relations = {f.name: f for f in fields if f.is_relation}
    columns: list[tuple[str, Any, Any]] = []
    for f in fields:
        if (f.has_default() and callable(f.default)) or f.has_db_default():
            columns.append((f.attname, None, f.get_default))  # a fresh value per row
        else:
            columns.append((f.attname, f.get_default(), None))
    return _Layout(tuple(columns), attnames, relations)


def new_instance(model: type[M], **fields: Any) -> M:
    """``model(**fields)`` for a new row, built as Django builds a row it reads.

    Every step builds its new workitem and its audit events; Django's keyword
    path sets each related object through its descriptor and each field one
    at a time, which cost a step more than those rows' share of the INSERT.
    Here the values are passed in field order; a related object given by name
    (``instance=run``) is stored as its key and kept as the cached related
    object, as the descriptor would (``workitem.instance`` is no query).
    """
    layout = _layout(model)
    values: dict[str, Any] = {}
    related = []
    for name, value in fields.items():
        attname = layout.attnames.get(name)
        if attname is None:
            return model(**fields)  # not a field: Django's own error
        if attname != name and value is not None:  # a related object
            field = layout.relations[name]
            related.append((field, value))
            value = getattr(value, field.target_field.attname)  # type: ignore[attr-defined]
        values[attname] = value
    obj = model(
        *[
            values[a] if a in values else make() if make else default
            for a, default, make in layout.columns
        ]
    )
    for field, value in related:
        field.set_cached_value(obj, value)  # type: ignore[attr-defined]
    return obj


# Writes ---------------------------------------------------------------------------------


def mark_timer_fired(timer_id: int, now: datetime) -> bool:
    """Set ``fired_at`` of a timer that is due and not yet fired; False when it was not."""
    alias = router.db_for_write(Timer)
    connection = connections[alias]
    sql = _timer_fired_sql(alias, connection.vendor)
    moment = Timer._meta.get_field("fired_at").get_db_prep_save(now, connection)
    with _executed(connection, sql, [moment, timer_id, moment]) as cursor:
        return bool(cursor.rowcount == 1)


def _field(model: type[Model], name: str) -> Field:
    return cast(Field, model._meta.get_field(name))


def _pk_column(model: type[Model]) -> str:
    return cast(str, model._meta.pk.column)


def _column(field: Field) -> str:
    return cast(str, field.column)  # (None only for fields without a column)


@lru_cache(maxsize=8)
def _timer_fired_sql(alias: str, vendor: str) -> str:
    quote = connections[alias].ops.quote_name
    fired, due = (quote(_column(_field(Timer, name))) for name in ("fired_at", "due_at"))
    return (
        f"UPDATE {quote(Timer._meta.db_table)} SET {fired} = %s "
        f"WHERE {quote(_pk_column(Timer))} = %s AND {fired} IS NULL AND {due} <= %s"
    )


# Values that reach the database unchanged through these fields' ``get_db_prep_save``
# on every backend (a str into a text column, an int or None into an integer one):
# passed as they are. Django's per-field conversion calls (a dozen per column)
# cost more than the statement itself on a step's hot path; every other value
# (dates, JSON, a str for an integer column, ...) still goes through the field.
_TEXT = frozenset({"CharField", "TextField", "SlugField", "EmailField"})
_INTEGER = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "BooleanField",
    }
)
_NONE = type(None)


@dataclass(frozen=True)
class _Column:
    field: Field
    attname: str
    unchanged: tuple[type, ...]  # value types passed to the driver as they are
    pre_save: bool  # the field computes its value when saved (auto_now, ...)


def _columns(fields: Sequence[Field]) -> list[_Column]:
    columns = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "ForeignKey":  # the value is the target's: a str or int key
            kind = field.target_field.get_internal_type()  # type: ignore[attr-defined]
        unchanged: tuple[type, ...] = ()
        if kind in _TEXT:
            unchanged = (str, _NONE)
        elif kind in _INTEGER:
            unchanged = (int, bool, _NONE)
        # (a date field computes its value when saved only with auto_now or auto_now_add)
        custom = type(field).pre_save is not Field.pre_save
        if isinstance(field, DateField) and not (field.auto_now or field.auto_now_add):
            custom = False
        columns.append(_Column(field, field.attname, unchanged, custom))
    return columns


def _db_values(obj: Model, columns: list[_Column], connection: Any, add: bool) -> list[Any]:
    """What ``field.get_db_prep_save(field.pre_save(obj, add))`` gives for each column."""
    values = []
    for column in columns:
        field = column.field
        value = field.pre_save(obj, add) if column.pre_save else getattr(obj, column.attname)
        if type(value) not in column.unchanged:
            value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


@lru_cache(maxsize=64)
def _update_statement(
    model: type[Model], fields: tuple[str, ...], alias: str, vendor: str, checked: bool = False
) -> tuple[str, list[_Column]]:
    quote = connections[alias].ops.quote_name
    columns = [_field(model, name) for name in fields]
    assignments = ", ".join(f"{quote(_column(field))} = %s" for field in columns)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
        f"WHERE {quote(_pk_column(model))} = %s"
    )
    if checked:
        sql += f" AND {quote('lock_version')} = %s"
    return sql, _columns(columns)


class StaleRow(DatabaseError):
    """The row's ``lock_version`` is not the one it was read at: another transaction changed it."""


def save_fields(
    obj: Model, fields: list[str] | tuple[str, ...], *, expected_version: int | None = None
) -> None:
    """``obj.save(update_fields=fields)`` without compiling the UPDATE each time.

    The same values reach the database (each field's ``pre_save`` — auto_now —
    and ``get_db_prep_save``); no model signals are sent (none is connected to
    runs or workitems). Like Django, a row that is gone is an error.
    ``expected_version``: update only if the row is still at that ``lock_version``
    (compare-and-set), else raise StaleRow.
    """
    model = type(obj)
    alias = obj._state.db or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    checked = expected_version is not None
    sql, columns = _update_statement(model, tuple(fields), alias, connection.vendor, checked)
    params = _db_values(obj, columns, connection, False)
    params.append(obj.pk)
    if checked:
        params.append(expected_version)
    with _executed(connection, sql, params) as cursor:
        if cursor.rowcount == 0 and checked:
            raise StaleRow(f"{model.__name__} {obj.pk}: changed since version {expected_version}.")
        if cursor.rowcount == 0:
            raise DatabaseError(f"{model.__name__} {obj.pk}: no row to update.")


@lru_cache(maxsize=64)
def _insert_statement(
    model: type[Model], rows: int, alias: str, vendor: str
) -> tuple[str, list[_Column]]:
    quote = connections[alias].ops.quote_name
    columns = [field for field in model._meta.concrete_fields if not field.primary_key]
    names = ", ".join(quote(_column(field)) for field in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "
        f"VALUES {', '.join([row] * rows)} RETURNING {quote(_pk_column(model))}"
    )
    return sql, _columns(columns)


def insert_rows(objs: Sequence[Model]) -> None:
    """``bulk_create(objs)`` of new rows of one model, without compiling the INSERT each time.

    One multi-row INSERT ... RETURNING (PostgreSQL, SQLite ≥ 3.35); each object
    gets its primary key, in order. The same values reach the database (each
    field's ``pre_save`` — auto_now_add — and ``get_db_prep_save``); like
    ``bulk_create``, no model signals are sent (the caller sends what it needs).
    """
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, columns = _insert_statement(model, len(objs), alias, connection.vendor)
    params = [value for obj in objs for value in _db_values(obj, columns, connection, True)]
    with _executed(connection, sql, params) as cursor:
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) != len(objs):
        raise DatabaseError(f"{model.__name__}: {len(objs)} rows inserted, {len(ids)} returned.")
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


@lru_cache(maxsize=32)
def _offers_statement(
    model: type[Model], users: int, groups: int, alias: str, vendor: str
) -> tuple[str, list[_Column]]:
    quote = connections[alias].ops.quote_name
    columns = [field for field in model._meta.concrete_fields if not field.primary_key]
    User = get_user_model()
    Group = cast(Any, _field(model, "group")).related_model
    # A NULL of the key's type: PostgreSQL would type a bare NULL of a subquery as text.
    none = {
        name: f"CAST(NULL AS {_field(model, name).db_type(connections[alias])})"
        for name in ("user", "group")
    }
    legs = []
    for who, count, name_field in ((User, users, User.USERNAME_FIELD), (Group, groups, "name")):
        if count:
            table, pk = quote(who._meta.db_table), quote(_pk_column(who))
            ids = (
                f"{pk} AS u, {none['group']} AS g"
                if who is User
                else f"{none['user']} AS u, {pk} AS g"
            )
            names = quote(_column(_field(who, name_field)))
            marks = ", ".join(["%s"] * count)
            legs.append(f"SELECT {ids} FROM {table} WHERE {names} IN ({marks})")
    # The constant columns outside the UNION: PostgreSQL types each parameter by the
    # column it is inserted into.
    picked = {"user": "offered.u", "group": "offered.g"}
    values = [picked.get(field.name, "%s") for field in columns]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(_column(field)) for field in columns)}) "
        f"SELECT {', '.join(values)} FROM ({' UNION ALL '.join(legs)}) offered "
        f"RETURNING {quote(_column(_field(model, 'group')))}"
    )
    return sql, _columns([field for field in columns if field.name not in picked])


def insert_offers(template: Model, users: Sequence[str], groups: Sequence[str]) -> set[int]:
    """INSERT a copy of ``template`` (an offer) for each user and group of these names.

    One INSERT ... SELECT: the names are looked up by the statement itself (users
    by their USERNAME_FIELD, groups by name; names that match nobody add no row).
    Returns the ids of the groups offered (a name not among them is no group yet).
    """
    if not users and not groups:
        return set()
    model = type(template)
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, columns = _offers_statement(model, len(users), len(groups), alias, connection.vendor)
    params = [*_db_values(template, columns, connection, True), *users, *groups]
    with _executed(connection, sql, params) as cursor:
        return {row[0] for row in cursor.fetchall() if row[0] is not None}
