"""Reads of customer care: the reminders of the accounts the actor may see (mine / all I may
see, from a day for some days), an account's open ones (its 360° section), the company's
festival list."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from care.models import CareReminder, CareSettings, Festival, ReminderStatus
from kam.roles import Actor
from kam.tenancy import get_current_tenant

DEFAULT_DAYS = 14
ON_PROFILE = 10


def care_reminder_visible_queryset(*, actor: Actor) -> QuerySet[CareReminder]:
    """Reminders of the accounts the actor may see, with account, contact, contract, festival and
    owner joined: one query."""
    return visible_via_account(
        CareReminder.objects.select_related("account", "contact", "contract", "festival",
                                            "owner__user"), actor=actor)


class ReminderView:
    """The list's tabs: my open ones (its default), every open one I may see."""

    MINE = "mine"
    ALL = "all"
    CHOICES = (MINE, ALL)


def care_reminders_in_view(qs: QuerySet[CareReminder], *, view: str, actor: Actor,
                           today: datetime.date, days: int = DEFAULT_DAYS
                           ) -> QuerySet[CareReminder]:
    """Open reminders of occasions from ``today`` to ``today`` + ``days``; the actor's own
    unless ``view`` is all."""
    qs = qs.filter(status=ReminderStatus.OPEN, occurs_on__gte=today,
                   occurs_on__lte=today + datetime.timedelta(days=days))
    if view == ReminderView.ALL:
        return qs
    member = actor.membership.pk if actor.membership is not None else None
    return qs.filter(owner_id=member)


def account_care_reminders(*, account: Account, today: datetime.date) -> list[CareReminder]:
    """The account's open reminders from today on, soonest first (one query; the account is one
    the actor sees)."""
    return list(CareReminder.objects.filter(account_id=account.pk, status=ReminderStatus.OPEN,
                                            occurs_on__gte=today)
                .select_related("contact", "contract", "festival", "owner__user")
                .order_by("occurs_on", "id")[:ON_PROFILE])


def festival_list() -> list[Festival]:
    return list(Festival.objects.order_by("month", "day", "id"))


def care_settings() -> CareSettings:
    """The current company's care settings; the defaults (unsaved) until it changes them."""
    return CareSettings.objects.first() or CareSettings(tenant=get_current_tenant())
