"""Reads of follow-ups: those of the accounts the actor may see, the list's views (mine, overdue,
due this week, all) and an account's open ones for its 360° page. "Overdue" and "this week" are
judged on the tenant's today (``kam.clock``); the nightly job keeps ``overdue_since`` for
reports, the lists do not wait for it."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from kam.roles import Actor
from visits.followups.models import FollowUp, FollowUpStatus

OPEN_ON_PROFILE = 10


def follow_up_visible_queryset(*, actor: Actor) -> QuerySet[FollowUp]:
    """Follow-ups of the accounts the actor may see, with account, owner and the visit they came
    from joined: one query."""
    return visible_via_account(
        FollowUp.objects.select_related("account", "owner__user", "visit"), actor=actor)


class FollowUpView:
    """The list's tabs: my open ones (its default), the open overdue ones, the open ones due
    this week (Monday to Sunday), every one (any status)."""

    MINE = "mine"
    OVERDUE = "overdue"
    WEEK = "week"
    ALL = "all"
    CHOICES = (MINE, OVERDUE, WEEK, ALL)


def week_of(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of ``today``'s week."""
    monday = today - datetime.timedelta(days=today.weekday())
    return monday, monday + datetime.timedelta(days=6)


def follow_ups_in_view(qs: QuerySet[FollowUp], *, view: str, today: datetime.date,
                       actor: Actor) -> QuerySet[FollowUp]:
    if view == FollowUpView.ALL:
        return qs
    qs = qs.filter(status=FollowUpStatus.OPEN)
    if view == FollowUpView.OVERDUE:
        return qs.filter(due_on__lt=today)
    if view == FollowUpView.WEEK:
        monday, sunday = week_of(today)
        return qs.filter(due_on__gte=monday, due_on__lte=sunday)
    member = actor.membership.pk if actor.membership is not None else None
    return qs.filter(owner_id=member)


def is_overdue(follow_up: FollowUp, *, today: datetime.date) -> bool:
    return follow_up.status == FollowUpStatus.OPEN and follow_up.due_on < today


def account_open_follow_ups(*, account: Account) -> list[FollowUp]:
    """The account's open follow-ups, soonest due first. One query (the account is one the
    actor sees)."""
    return list(FollowUp.objects.filter(account_id=account.pk, status=FollowUpStatus.OPEN)
                .select_related("owner__user").order_by("due_on", "id")[:OPEN_ON_PROFILE])
