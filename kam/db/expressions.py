"""Query expressions the ORM lacks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from django.db.models.expressions import RawSQL


def value_set(values: Iterable[Any], sql_type: Literal["text", "bigint"] = "text") -> RawSQL:
    """``SELECT unnest(<values>::<type>[])``, for ``field__in=value_set(…)``: one parameter, and a
    semi-join whose size the planner knows (the array's length), so each value is probed in the
    field's index. With the same values as an ``IN (…)`` list PostgreSQL guesses the rows per value
    from the column's statistics — where most rows share one value ('' for no external id) it
    expects thousands each — and reads every row of the tenant instead: 10,000 external ids among a
    tenant's 2 million transactions took 234 ms that way, 20 ms as a set. For a partial unique
    index spell out its condition beside it (``~Q(external_id="")``)."""
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [sorted(set(values))])  # noqa: S611 - fixed types
