"""A member's personal calendar feed (iCalendar, RFC 5545) at a secret, revocable link, for
Google Calendar, Outlook or Apple Calendar to subscribe to.

kam names no app: the feed is a registry of sources other apps add from their
``AppConfig.ready()`` — visits as events with their attendees and place, follow-ups as all-day
events (Google Calendar ignores VTODO), care reminders if the member asks for them::

    register_feed_source(FeedSource(key="visits", label=_("Visits"), load=visit_events))

``load(scope)`` returns the source's ``icalendar`` components for the member's own items in the
window (a month back, half a year ahead), read as the member — what they may see today, not
what they saw when the link was made — at a fixed number of queries.

The link is ``/calendar-feed/kamcal_<prefix>_<secret>.ics``: the prefix finds the row across
companies (the company is not known yet), the secret is compared with its SHA-256 like an API key's.
A new link replaces the secret (the old one stops working at once); an inactive member or company
gets a 404 like an unknown link."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import icalendar
from django.conf import settings
from django.db import transaction

from kam import clock
from kam.feed_models import CalendarFeed
from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import system_read

TOKEN_PREFIX = "kamcal"  # noqa: S105 - the links' visible marker, not a secret
PREFIX_LEN = 8
_HEX = frozenset("0123456789abcdef")
DAYS_BACK = 31
DAYS_AHEAD = 183
# The feed's last read is written at most this often (calendars poll every few minutes to hours).
TOUCH_INTERVAL = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class FeedScope:
    """Whose feed, read as whom, for which window (the member's company's days)."""

    actor: Actor
    member_id: int
    start: datetime.date
    end: datetime.date  # exclusive
    site_url: str  # links back to KAM in the events
    uid_domain: str

    def uid(self, kind: str, pk: int) -> str:
        """A stable UID per item: the calendar updates the event when it changes."""
        return f"{kind}-{self.actor.tenant.pk}-{pk}@{self.uid_domain}"


@dataclass(frozen=True)
class FeedSource:
    key: str
    label: Any  # a (lazy) translated string, on the feed's settings page
    load: Callable[[FeedScope], Iterable[icalendar.cal.Component]]
    optional: bool = False  # off unless the member turns it on
    order: int = 100
    help: Any = field(default="")


_SOURCES: list[FeedSource] = []


def register_feed_source(source: FeedSource) -> FeedSource:
    """Add a source (idempotent by key: a twice-run ``ready()`` adds it once)."""
    if all(known.key != source.key for known in _SOURCES):
        _SOURCES.append(source)
    return source


def feed_sources() -> list[FeedSource]:
    return sorted(_SOURCES, key=lambda s: s.order)


def optional_sources() -> list[FeedSource]:
    return [s for s in feed_sources() if s.optional]


# --- the link -------------------------------------------------------------------------------------

def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _split(raw: str) -> str | None:
    """``kamcal_<prefix>_<secret>`` → its prefix; None when the shape is wrong."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != PREFIX_LEN:
        return None
    return parts[1] if set(parts[1]) <= _HEX else None


@transaction.atomic
def feed_link_create(*, membership: Membership, optional: list[str] | None = None
                     ) -> tuple[CalendarFeed, str]:
    """A new link for the member's feed (replacing the old one's secret: it stops working).
    Returns the feed and the link's secret token, shown once."""
    prefix = secrets.token_hex(PREFIX_LEN // 2)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    known = {s.key for s in optional_sources()}
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        membership=membership,
        defaults={"prefix": prefix, "hashed_token": _hash(raw), "created_at": clock.now(),
                  "optional": sorted(set(optional or []) & known)})
    if not created:
        feed.prefix, feed.hashed_token, feed.created_at = prefix, _hash(raw), clock.now()
        feed.last_fetched_at = None
        if optional is not None:
            feed.optional = sorted(set(optional) & known)
        feed.save()
    return feed, raw


@transaction.atomic
def feed_options_save(*, membership: Membership, optional: list[str]) -> CalendarFeed | None:
    """Which optional sources the member's feed carries (None: the member has no feed)."""
    known = {s.key for s in optional_sources()}
    feed = CalendarFeed.objects.select_for_update().filter(membership=membership).first()
    if feed is not None:
        feed.optional = sorted(set(optional) & known)
        feed.save(update_fields=["optional"])
    return feed


@transaction.atomic
def feed_link_delete(*, membership: Membership) -> bool:
    """Turn the member's feed off: its link stops working. False if there was none."""
    deleted, _rows = CalendarFeed.objects.filter(membership=membership).delete()
    return deleted > 0


def feed_authenticate(*, raw: str) -> CalendarFeed | None:
    """The feed of a presented link, with its member and company (across companies: the company
    is not known yet); None when unknown, replaced, or its member or company is inactive."""
    prefix = _split(raw)
    if prefix is None:
        return None
    digest = _hash(raw)
    with system_read("which company does this calendar feed belong to"):
        # Prefixes are random, not unique (a company's keys lead its unique constraints): the
        # secret decides between the rare candidates.
        candidates = list(CalendarFeed.unscoped_all_tenants
                          .select_related("membership__user", "tenant")
                          .filter(prefix=prefix, membership__is_active=True,
                                  membership__user__is_active=True, tenant__is_active=True))
    return next((f for f in candidates if hmac.compare_digest(f.hashed_token, digest)), None)


def feed_touch(*, feed: CalendarFeed) -> None:
    """Remember when a calendar last read the feed (at most every ``TOUCH_INTERVAL``)."""
    now = clock.now()
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < TOUCH_INTERVAL:
        return
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)


# --- the feed -------------------------------------------------------------------------------------

def feed_calendar(*, feed: CalendarFeed, name: str) -> bytes:
    """The member's calendar: every source's items in the window, as an iCalendar file."""
    tenant = feed.tenant
    today = clock.today(tenant)
    site = settings.KAM_SITE_URL.rstrip("/")
    scope = FeedScope(actor=Actor(tenant=tenant, membership=feed.membership),
                      member_id=feed.membership_id,
                      start=today - datetime.timedelta(days=DAYS_BACK),
                      end=today + datetime.timedelta(days=DAYS_AHEAD),
                      site_url=site, uid_domain=_domain(site))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//KAM//Key account management//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tenant.time_zone)
    cal.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    wanted = set(feed.optional)
    for source in feed_sources():
        if source.optional and source.key not in wanted:
            continue
        for component in source.load(scope):
            cal.add_component(component)
    return cal.to_ical()


def _domain(site_url: str) -> str:
    host = site_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "kam.local"
