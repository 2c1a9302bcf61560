"""The account timeline of the 360° page: what happened (and is scheduled) at an account, newest first.

The timeline is *extensible*: it knows nothing of the apps that feed it. A **source** is a function

    def my_source(*, actor, account, since, until) -> Iterable[TimelineEntry]: ...

registered once with ``register_timeline_source(my_source)``. ``since`` and ``until`` are dates
(inclusive) or ``None`` for "unbounded"; a source filters by them in SQL where it can.
``account_timeline()`` calls every registered source and merges their entries, newest first.

Later apps (visits, satisfaction requests, surveys, risk alerts …) register their own sources from
their ``AppConfig.ready()`` without changing this module::

    class VisitsConfig(AppConfig):
        def ready(self) -> None:
            from accounts.profile.timeline import register_timeline_source
            from visits.timeline import visit_source
            register_timeline_source(visit_source)

Rules for a source, so the 360° page keeps a constant number of queries:

* it costs a **fixed number of queries** (one, ideally), whatever the account holds — aggregate in
  SQL (GROUP BY) rather than returning one entry per row when rows can be many;
  the account it receives is already visible to the actor, so it may filter by ``account_id``;
* it returns plain ``TimelineEntry`` values with translated strings (it runs inside the request,
  so the request's language is active);
* it must not write.

The profile's own sources live beside their concepts (``accounts/<concept>/timeline.py``:
transactions per month, contacts, contracts, tier changes) and are registered by
``accounts.apps.AccountsConfig.ready()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import timezone

from kam import clock

if TYPE_CHECKING:
    from accounts.models import Account
    from kam.roles import Actor

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline. ``when`` is a date, or an aware datetime for exact moments."""

    when: datetime.datetime | datetime.date
    kind: str  # machine name, e.g. "transactions", "contact-added"; also used as a CSS hook
    title: str
    detail: str = ""
    url: str = ""
    icon: str = ""  # an extra CSS class (kam-tl-<icon>); empty means "use the kind"
    data: dict[str, Any] = field(default_factory=dict, compare=False)  # machine-readable values

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.when, datetime.datetime)

    @property
    def css_class(self) -> str:
        return f"kam-tl-{self.icon or self.kind}"


class TimelineSource(Protocol):
    def __call__(self, *, actor: Actor, account: Account, since: datetime.date | None,
                 until: datetime.date | None) -> Iterable[TimelineEntry]: ...


_SOURCES: list[TimelineSource] = []


def register_timeline_source(fn: TimelineSource) -> TimelineSource:
    """Add a source (idempotent, so a twice-run ``ready()`` does not double entries).

    Returns ``fn``, so it can be used as a decorator.
    """
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def unregister_timeline_source(fn: TimelineSource) -> None:
    """Remove a source (tests, or an app that is switched off)."""
    if fn in _SOURCES:
        _SOURCES.remove(fn)


def timeline_sources() -> tuple[TimelineSource, ...]:
    return tuple(_SOURCES)


def _sort_key(entry: TimelineEntry, tz: datetime.tzinfo) -> datetime.datetime:
    # Dates and datetimes compare on the tenant's wall clock; a date sorts at the start of its day.
    when = entry.when
    if isinstance(when, datetime.datetime):
        if timezone.is_aware(when):
            when = when.astimezone(tz).replace(tzinfo=None)
        return when
    return datetime.datetime.combine(when, datetime.time.min)


def _local_date(entry: TimelineEntry, tz: datetime.tzinfo) -> datetime.date:
    return _sort_key(entry, tz).date()


def account_timeline(*, actor: Actor, account: Account, limit: int | None = DEFAULT_LIMIT,
                     since: datetime.date | None = None, until: datetime.date | None = None
                     ) -> list[TimelineEntry]:
    """Entries of every registered source for one (visible) account, newest first (all of them
    with ``limit=None``).

    Costs the sum of the sources' fixed query counts (one each for the built-in sources).
    """
    tz = clock.tenant_zone(actor.tenant)
    entries: list[TimelineEntry] = []
    for source in _SOURCES:
        for entry in source(actor=actor, account=account, since=since, until=until):
            day = _local_date(entry, tz)
            if (since is None or day >= since) and (until is None or day <= until):
                entries.append(entry)
    entries.sort(key=lambda e: _sort_key(e, tz), reverse=True)
    return entries if limit is None else entries[:limit]


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    older_until: datetime.date | None  # ``until`` of the next, older page; None: this is the last


def timeline_page(*, actor: Actor, account: Account, size: int,
                  until: datetime.date | None = None) -> TimelinePage:
    """The newest ``size`` entries dated ``until`` or earlier (the tenant's days), and where the
    next page starts. A page ends with a whole day — it runs over ``size`` rather than split one —
    so the next page, every entry up to the day before, misses nothing and repeats nothing."""
    tz = clock.tenant_zone(actor.tenant)
    entries = account_timeline(actor=actor, account=account, limit=None, until=until)
    if len(entries) <= size:
        return TimelinePage(entries=entries, older_until=None)
    last_day = _local_date(entries[size - 1], tz)
    end = size
    while end < len(entries) and _local_date(entries[end], tz) == last_day:
        end += 1
    older = last_day - datetime.timedelta(days=1) if end < len(entries) else None
    return TimelinePage(entries=entries[:end], older_until=older)
