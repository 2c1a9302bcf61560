"""The 360° timeline's source for visits: each visit at its start — planned, completed (with
its sentiment), cancelled (with the reason) or missed."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.profile.timeline import TimelineEntry
from kam import clock
from visits.visit.models import Visit, VisitStatus

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor


def _title(visit: Visit) -> str:
    names = {"level": visit.get_level_display(), "channel": visit.get_channel_display()}
    if visit.status == VisitStatus.COMPLETED:
        return _("%(level)s visit held (%(channel)s)") % names
    if visit.status == VisitStatus.CANCELLED:
        return _("%(level)s visit cancelled") % names
    if visit.status == VisitStatus.MISSED:
        return _("%(level)s visit missed: no report") % names
    return _("%(level)s visit planned (%(channel)s)") % names


def _detail(visit: Visit) -> str:
    parts = [visit.objective, visit.owner.display_name]
    if visit.status == VisitStatus.COMPLETED:
        parts.append(_("Sentiment: %(sentiment)s") % {"sentiment": visit.get_sentiment_display()})
    elif visit.status == VisitStatus.CANCELLED:
        parts.append(visit.cancel_reason)
    return " · ".join(p for p in parts if p)


def visits_source(*, actor: Actor, account: Account, since: datetime.date | None,
                  until: datetime.date | None) -> list[TimelineEntry]:
    """Every visit of the account within the days asked, at its start. One query."""
    start, end = clock.day_range(since, until, actor.tenant)
    qs = Visit.objects.filter(account_id=account.pk).select_related("owner__user")
    if start is not None:
        qs = qs.filter(planned_start__gte=start)
    if end is not None:
        qs = qs.filter(planned_start__lt=end)
    return [TimelineEntry(when=visit.planned_start, kind=f"visit-{visit.status}",
                          title=_title(visit), detail=_detail(visit),
                          url=reverse("visits:visit-detail", args=[visit.pk]),
                          data={"visit_id": visit.pk, "status": visit.status,
                                "level": visit.level})
            for visit in qs.order_by("planned_start", "id")]
