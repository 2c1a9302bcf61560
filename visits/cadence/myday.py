"""My day's accounts behind cadence (kam.myday): the account levels overdue or due soon, most
overdue first — a member's own accounts (they own), or the portfolio's. One query
(cadence_due_idx)."""

from __future__ import annotations

from typing import Any

from kam.myday import ROWS_SHOWN, MyDayScope
from visits.cadence.models import CadenceState
from visits.cadence.selectors import coverage_queryset


def my_day_behind_cadence(scope: MyDayScope) -> dict[str, Any]:
    qs = scope.owned(coverage_queryset(actor=scope.actor).filter(
        state__in=(CadenceState.OVERDUE, CadenceState.DUE_SOON)), owner_field="account__owner")
    rows = list(qs.order_by("next_due_on", "id")[:ROWS_SHOWN + 1])
    return {"rows": rows[:ROWS_SHOWN], "more": len(rows) > ROWS_SHOWN}
