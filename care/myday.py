"""Customer care in my day and in the member's calendar feed.

My day (kam.myday): the open reminders of the next 14 days — a member's own (the reminder's
owner), or the portfolio's — soonest first. One query (carereminder_owner_idx / _date_idx).
The calendar feed (kam.feed, optional, off unless the member turns it on): the member's open
reminders as all-day events on the occasion's day. One query."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import icalendar
from django.urls import reverse
from django.utils.translation import gettext as _

from care.models import ReminderStatus
from care.selectors import DEFAULT_DAYS, care_reminder_visible_queryset
from kam.feed import FeedScope
from kam.myday import ROWS_SHOWN, MyDayScope


def my_day_care(scope: MyDayScope) -> dict[str, Any]:
    qs = scope.owned(care_reminder_visible_queryset(actor=scope.actor).filter(
        status=ReminderStatus.OPEN, occurs_on__gte=scope.today,
        occurs_on__lte=scope.today + datetime.timedelta(days=DEFAULT_DAYS)))
    rows = list(qs.order_by("occurs_on", "id")[:ROWS_SHOWN + 1])
    return {"reminders": rows[:ROWS_SHOWN], "more": len(rows) > ROWS_SHOWN,
            "days": DEFAULT_DAYS}


def care_events(scope: FeedScope) -> Iterator[icalendar.Event]:
    qs = care_reminder_visible_queryset(actor=scope.actor).filter(
        owner_id=scope.member_id, status=ReminderStatus.OPEN,
        occurs_on__gte=scope.start, occurs_on__lt=scope.end)
    for reminder in qs.order_by("occurs_on", "id"):
        event = icalendar.Event()
        event.add("uid", scope.uid("care", reminder.pk))
        event.add("dtstamp", reminder.updated_at)
        event.add("last-modified", reminder.updated_at)
        event.add("dtstart", reminder.occurs_on)  # a date: an all-day event
        event.add("dtend", reminder.occurs_on + datetime.timedelta(days=1))
        event.add("summary", _("Care: %(person)s, %(occasion)s (%(account)s)") % {
            "occasion": reminder.occasion_label, "person": reminder.person,
            "account": reminder.account.name})
        event.add("transp", "TRANSPARENT")
        event.add("url", scope.site_url + reverse("care:reminder-list"))
        yield event
