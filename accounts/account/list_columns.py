"""Columns other apps add to the account list, each computed inside the list's one query (an
annotation: a correlated subquery), so the list's query count stays fixed however many apps plug
in. An app registers a column once, from its ``AppConfig.ready()``::

    register_list_column(ListColumn(key="next_visit_due", title=_("Next visit due"),
                                    annotations=next_visit_due_annotation,
                                    cell_template="visits/cadence/_next_due_cell.html"))

``annotations()`` returns the annotations the list's queryset gets; ``cell_template`` draws the
cell with ``account`` (the annotated row) and ``today`` in its context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

_COLUMNS: list[ListColumn] = []


@dataclass(frozen=True)
class ListColumn:
    key: str
    title: Any  # a (lazy) translated string
    annotations: Callable[[], dict[str, Any]]
    cell_template: str


def register_list_column(column: ListColumn) -> ListColumn:
    """Add a column (idempotent by key)."""
    if all(known.key != column.key for known in _COLUMNS):
        _COLUMNS.append(column)
    return column


def list_columns() -> list[ListColumn]:
    return list(_COLUMNS)


def with_list_columns(queryset: QuerySet) -> QuerySet:
    """The list's queryset with every registered column's annotations."""
    for column in _COLUMNS:
        queryset = queryset.annotate(**column.annotations())
    return queryset
