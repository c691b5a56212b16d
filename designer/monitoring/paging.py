"""Pagination that stays cheap over millions of rows.

A page is fetched with one extra row (to know whether there is a next page)
and the total is counted only up to ``COUNT_CAP``: counting every matching
row of a million-row table would cost more than the page itself. Past the
cap the page says "1,000+" and keeps offering "Next".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 30
COUNT_CAP = 1000
MAX_PAGE = 10_000


@dataclass
class Page:
    rows: list
    number: int
    per_page: int
    has_next: bool
    count: int
    capped: bool
    query: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def count_label(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)

    def url_for(self, number: int) -> str:
        return "?" + urlencode({**self.query, "page": number})

    @property
    def next_url(self) -> str:
        return self.url_for(self.number + 1)

    @property
    def previous_url(self) -> str:
        return self.url_for(self.number - 1)


def page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows match, counting at most ``cap`` + 1 of them."""
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return min(found, cap), found > cap


def capped_counts(
    querysets: dict[str, QuerySet], cap: int = COUNT_CAP, caps: dict[str, int] | None = None
) -> dict:
    """Capped counts of several querysets in one query: ``{name: (count, capped)}``.

    Each is ``COUNT(*)`` over at most ``cap`` + 1 rows (or its own cap from
    ``caps``), so the cost does not grow with the table (a ``GROUP BY`` would
    read every matching row).
    """
    if not querysets:
        return {}
    limits = {name: (caps or {}).get(name, cap) for name in querysets}
    parts, params = [], []
    for i, (name, queryset) in enumerate(querysets.items()):
        sql, part_params = (
            queryset.order_by().values("pk")[: limits[name] + 1].query.sql_with_params()
        )
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{i})")
        params.extend(part_params)
    alias = next(iter(querysets.values())).db
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {
        name: (min(n, limits[name]), n > limits[name])
        for name, n in zip(querysets, row, strict=True)
    }


def paginate(
    queryset: QuerySet,
    request: HttpRequest,
    *,
    query: dict | None = None,
    per_page: int = PAGE_SIZE,
    count: int | None = None,
    capped: bool = False,
) -> Page:
    """One page of ``queryset`` (already ordered) and a capped total: two queries.

    Pass ``count`` when the caller already knows the total (one query then).
    """
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if count is None:
        count, capped = capped_count(queryset)
    return Page(
        rows=rows[:per_page],
        number=number,
        per_page=per_page,
        has_next=len(rows) > per_page,
        count=count,
        capped=capped,
        query={k: v for k, v in (query or {}).items() if v not in (None, "", [])},
    )
