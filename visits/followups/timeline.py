"""The 360° timeline's source for follow-ups: each one done, when it was done."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.profile.timeline import TimelineEntry
from kam import clock, l10n
from visits.followups.models import FollowUp, FollowUpStatus

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor


def follow_ups_done_source(*, actor: Actor, account: Account, since: datetime.date | None,
                           until: datetime.date | None) -> list[TimelineEntry]:
    """The account's follow-ups done within the days asked, at the moment they were done. One
    query. (Open and overdue ones are on the 360° page's visits section, not history.)"""
    start, end = clock.day_range(since, until, actor.tenant)
    qs = FollowUp.objects.filter(account_id=account.pk, status=FollowUpStatus.DONE,
                                 done_at__isnull=False).select_related("done_by__user")
    if start is not None:
        qs = qs.filter(done_at__gte=start)
    if end is not None:
        qs = qs.filter(done_at__lt=end)
    url = reverse("visits:follow-up-list") + f"?view=all&account={account.pk}"
    entries = []
    for follow_up in qs.order_by("done_at", "id"):
        done_at = follow_up.done_at
        assert done_at is not None  # filtered above
        who = follow_up.done_by.display_name if follow_up.done_by_id else ""
        due = _("due %(day)s") % {"day": l10n.day(follow_up.due_on)}
        entries.append(TimelineEntry(
            when=done_at, kind="follow-up-done",
            title=_("Follow-up done: %(title)s") % {"title": follow_up.title},
            detail=" · ".join(p for p in (who, due) if p), url=url,
            data={"follow_up_id": follow_up.pk}))
    return entries
