"""Reads of visits: those of the accounts the actor may see (``visible_via_account``), one visit
with everything its page shows, the lists' views (mine, a period), and an account's upcoming and
recent visits for its 360° page. Days are the tenant's (``kam.clock``)."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from kam import clock
from kam.roles import Actor
from visits.visit.models import Visit, VisitAttendee, VisitContact, VisitStatus

RECENT_ON_PROFILE = 5
UPCOMING_ON_PROFILE = 5


def visit_visible_queryset(*, actor: Actor) -> QuerySet[Visit]:
    """Visits of the accounts the actor may see, with account and owner joined: one query."""
    return visible_via_account(Visit.objects.select_related("account", "owner__user"),
                               actor=actor)


def visit_detail_queryset(*, actor: Actor) -> QuerySet[Visit]:
    """Visible visits with what the visit's page shows: attendees on both sides (the contacts by
    level, then name) and the follow-ups its report committed to. Four queries for one visit."""
    from visits.followups.models import FollowUp

    return visit_visible_queryset(actor=actor).select_related("completed_by__user",
                                                              "cancelled_by__user").prefetch_related(
        Prefetch("attendee_rows", queryset=VisitAttendee.objects.select_related("membership__user")
                 .order_by("id")),
        Prefetch("contact_rows", queryset=VisitContact.objects.select_related("contact")
                 .order_by("level", "contact__name", "id")),
        Prefetch("follow_ups", queryset=FollowUp.objects.select_related("owner__user")
                 .order_by("due_on", "id")))


def visits_of(qs: QuerySet[Visit], *, member_id: int) -> QuerySet[Visit]:
    """The visits of ``qs`` a member owns or attends ("my visits")."""
    attends = VisitAttendee.objects.filter(visit_id=OuterRef("pk"), membership_id=member_id)
    return qs.filter(Q(owner_id=member_id) | Exists(attends))


class VisitPeriod:
    """Which visits a list shows: from today on (its default), before today, or all."""

    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


def visits_in_period(qs: QuerySet[Visit], *, period: str, today: datetime.date,
                     actor: Actor) -> QuerySet[Visit]:
    start = clock.day_start(today, actor.tenant)
    if period == VisitPeriod.UPCOMING:
        return qs.filter(planned_start__gte=start)
    if period == VisitPeriod.PAST:
        return qs.filter(planned_start__lt=start)
    return qs


def awaiting_report(visit: Visit, *, now: datetime.datetime) -> bool:
    """A planned visit whose start has passed: its report is due (the nightly job marks it
    missed after the grace period)."""
    return visit.status == VisitStatus.PLANNED and visit.planned_start <= now


def account_upcoming_visits(*, account: Account, actor: Actor) -> list[Visit]:
    """The account's planned visits from today on, soonest first. One query (the account is one
    the actor sees)."""
    start = clock.day_start(clock.today(actor.tenant), actor.tenant)
    return list(Visit.objects.filter(account_id=account.pk, status=VisitStatus.PLANNED,
                                     planned_start__gte=start)
                .select_related("owner__user").order_by("planned_start", "id")
                [:UPCOMING_ON_PROFILE])


def account_recent_visits(*, account: Account, actor: Actor) -> list[Visit]:
    """The account's visits before today, whatever became of them, latest first. One query."""
    start = clock.day_start(clock.today(actor.tenant), actor.tenant)
    return list(Visit.objects.filter(account_id=account.pk, planned_start__lt=start)
                .select_related("owner__user").order_by("-planned_start", "-id")
                [:RECENT_ON_PROFILE])
