"""The visits app's sources of a member's calendar feed (kam.feed): their visits (owned or
attended) as events with the attendees on both sides and the place; their open follow-ups as
all-day events on the due date (Google Calendar ignores VTODO). Cancelled visits stay in the feed,
marked cancelled, so a calendar that had them drops them; missed ones say so. Three queries for
visits (with both attendee lists prefetched), one for follow-ups."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import icalendar
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from kam import clock
from kam.feed import FeedScope
from visits.followups.models import FollowUpStatus
from visits.followups.selectors import follow_up_visible_queryset
from visits.visit.models import Visit, VisitAttendee, VisitContact, VisitStatus
from visits.visit.selectors import visit_visible_queryset, visits_of

_STATUS = {VisitStatus.PLANNED: "CONFIRMED", VisitStatus.COMPLETED: "CONFIRMED",
           VisitStatus.MISSED: "CONFIRMED", VisitStatus.CANCELLED: "CANCELLED"}


def _address(email: str, name: str, **params: str) -> icalendar.vCalAddress:
    # A contact without an email still shows by name (an invalid mailto would be refused).
    address = icalendar.vCalAddress(f"mailto:{email}" if email else "mailto:noreply@invalid")
    address.params["CN"] = icalendar.vText(name)
    for key, value in params.items():
        address.params[key] = icalendar.vText(value)
    return address


def visit_events(scope: FeedScope) -> Iterator[icalendar.Event]:
    start, end = clock.day_range(scope.start, scope.end - datetime.timedelta(days=1),
                                 scope.actor.tenant)
    qs = visits_of(visit_visible_queryset(actor=scope.actor), member_id=scope.member_id).filter(
        planned_start__gte=start, planned_start__lt=end).prefetch_related(
        Prefetch("attendee_rows", queryset=VisitAttendee.objects.select_related("membership__user")
                 .order_by("id")),
        Prefetch("contact_rows", queryset=VisitContact.objects.select_related("contact")
                 .order_by("level", "contact__name", "id")))
    visit: Visit
    for visit in qs.order_by("planned_start", "id"):
        event = icalendar.Event()
        event.add("uid", scope.uid("visit", visit.pk))
        event.add("dtstamp", visit.updated_at)
        event.add("last-modified", visit.updated_at)
        event.add("sequence", visit.reschedule_count)
        event.add("dtstart", visit.planned_start)
        event.add("dtend", visit.planned_start + datetime.timedelta(minutes=visit.duration_minutes))
        title = f"{visit.account.name} · {visit.get_level_display()}: {visit.objective}"
        if visit.status == VisitStatus.MISSED:
            title = _("(missed) %(title)s") % {"title": title}
        event.add("summary", title)
        event.add("status", _STATUS[VisitStatus(visit.status)])
        if visit.location:
            event.add("location", visit.location)
        url = scope.site_url + reverse("visits:visit-detail", args=[visit.pk])
        event.add("url", url)
        event.add("description", "\n".join(filter(None, [
            f"{visit.get_channel_display()} · {visit.get_status_display()}",
            visit.summary, url])))
        event.add("organizer", _address(visit.owner.user.email, visit.owner.display_name))
        for row in visit.attendee_rows.all():
            event.add("attendee", _address(row.membership.user.email, row.membership.display_name,
                                           ROLE="REQ-PARTICIPANT", CUTYPE="INDIVIDUAL"))
        for row in visit.contact_rows.all():
            event.add("attendee", _address(row.contact.email, f"{row.contact.name} "
                                           f"({visit.account.name})",
                                           ROLE="REQ-PARTICIPANT", CUTYPE="INDIVIDUAL"))
        yield event


def follow_up_events(scope: FeedScope) -> Iterator[icalendar.Event]:
    qs = follow_up_visible_queryset(actor=scope.actor).filter(
        owner_id=scope.member_id, status=FollowUpStatus.OPEN,
        due_on__gte=scope.start, due_on__lt=scope.end)
    for follow_up in qs.order_by("due_on", "id"):
        event = icalendar.Event()
        event.add("uid", scope.uid("follow-up", follow_up.pk))
        event.add("dtstamp", follow_up.updated_at)
        event.add("last-modified", follow_up.updated_at)
        event.add("dtstart", follow_up.due_on)  # a date: an all-day event
        event.add("dtend", follow_up.due_on + datetime.timedelta(days=1))
        event.add("summary", _("Follow-up: %(title)s (%(account)s)") % {
            "title": follow_up.title, "account": follow_up.account.name})
        event.add("transp", "TRANSPARENT")  # a due date, not a busy day
        url = scope.site_url + reverse("visits:follow-up-edit", args=[follow_up.pk])
        event.add("url", url)
        event.add("description", "\n".join(filter(None, [follow_up.notes, url])))
        yield event
