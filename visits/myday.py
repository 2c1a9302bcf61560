"""The visits app's sections of my day (kam.myday): the visits whose report is due and those of
today and the rest of this week, and the open follow-ups that are overdue or
due by Sunday. One query each, whatever the portfolio's size (the lists' indexes:
visit_owner_start_idx / visit_start_idx, followup_owner_due_idx / followup_open_due_idx)."""

from __future__ import annotations

from typing import Any

from kam import clock
from kam.myday import ROWS_SHOWN, MyDayScope
from visits.followups.models import FollowUpStatus
from visits.followups.selectors import follow_up_visible_queryset
from visits.visit.models import VisitStatus
from visits.visit.selectors import visit_visible_queryset, visits_of


def my_day_visits(scope: MyDayScope) -> dict[str, Any]:
    """Planned visits until the end of Sunday, soonest first: those whose start has passed wait
    for their report (flagged; the nightly job marks them missed after the grace period, so they
    are few), then today's and the rest of the week's. A member's: those they own or attend."""
    _start, end = clock.day_range(None, scope.week_end, scope.actor.tenant)
    qs = visit_visible_queryset(actor=scope.actor).filter(
        status=VisitStatus.PLANNED, planned_start__lt=end)
    if scope.member_id is not None:
        qs = visits_of(qs, member_id=scope.member_id)
    rows = list(qs.order_by("planned_start", "id")[:ROWS_SHOWN + 1])
    for visit in rows:
        visit.report_due = visit.planned_start <= scope.now
        visit.is_today = clock.local_date(visit.planned_start, scope.actor.tenant) == scope.today
    return {"visits": rows[:ROWS_SHOWN], "more": len(rows) > ROWS_SHOWN}


def my_day_follow_ups(scope: MyDayScope) -> dict[str, Any]:
    """Open follow-ups due by Sunday (the overdue ones first: they are the oldest), soonest first.
    A member's: those they own."""
    qs = scope.owned(follow_up_visible_queryset(actor=scope.actor).filter(
        status=FollowUpStatus.OPEN, due_on__lte=scope.week_end))
    rows = list(qs.order_by("due_on", "id")[:ROWS_SHOWN + 1])
    for follow_up in rows:
        follow_up.overdue = follow_up.due_on < scope.today
    return {"follow_ups": rows[:ROWS_SHOWN], "more": len(rows) > ROWS_SHOWN}
