"""What keeps admin lists fast on large tables (a million calls, deliveries, jobs).

- ``EstimatedCountPaginator``: Django's admin counts the filtered rows of every list it
  shows, to number the pages; on PostgreSQL an exact ``count(*)`` of a large result reads
  all of it. Above ``EXACT_COUNT_UP_TO`` rows, by the planner's estimate, the count shown
  is that estimate (from the table's statistics, the way ``pg_class.reltuples`` sizes a
  table); a smaller result is counted exactly, reading at most one row more than that.
- ``IndexFriendlyChangeList``: the admin breaks ties by ``-pk`` whatever the direction of
  the sort; sorting ascending then needs an index that is ascending in one column and
  descending in the other. Breaking ties in the sort's own direction lets one index on
  (column, id) serve both directions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

EXACT_COUNT_UP_TO = 1000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet) or connections[rows.db].vendor != "postgresql":
            return super().count
        rows = rows.order_by()
        estimate = planner_estimate(rows)
        if estimate > EXACT_COUNT_UP_TO:
            return estimate
        # The estimate can be low (a rare value, a correlated filter): count, but never
        # more than one row past the threshold.
        counted = rows[: EXACT_COUNT_UP_TO + 1].count()
        return counted if counted <= EXACT_COUNT_UP_TO else max(counted, estimate)


def planner_estimate(rows: QuerySet) -> int:
    """The rows PostgreSQL's planner expects the query to return (no rows are read)."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return 0  # a filter that can match nothing (an empty IN list): no query to ask about
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return int(plan[0]["Plan"]["Plan Rows"])


class IndexFriendlyChangeList(ChangeList):
    def get_ordering(self, request, queryset) -> list:
        ordering = super().get_ordering(request, queryset)
        first = ordering[0] if ordering else None
        if ordering and ordering[-1] == "-pk" and isinstance(first, str) \
                and not first.startswith("-"):
            ordering = [*ordering[:-1], "pk"]
        return ordering


class LargeListAdmin(admin.ModelAdmin):
    """An admin whose list may hold millions of rows: estimated counts past a threshold, no
    second count of the unfiltered total, ties broken in the direction of the sort."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return IndexFriendlyChangeList
