"""The company's working calendar: which days are working days, and how many lie between two days.

Durations owed to customers — a visit's grace period, a follow-up's due date, a service request's
clock — count working days of this calendar, not calendar days (DESIGN.md §5). A day is a working
day by, in this order:

1. the company's own day on that date (a company holiday, a Saturday it works);
2. the official schedule of the year (China's public holidays and their make-up working days,
   调休): the one an administrator entered or imported for that year, else the one built into
   the package chinesecalendar. A day off counts only where the company keeps the public holidays;
   a make-up working day only where it keeps them and works the make-up days;
3. the weekly rule: the company's working days of the week (Monday to Friday unless it says
   otherwise).

A year with no official schedule (the package lags the State Council's notice, published around
November for the next year) is counted with the weekly rule only — no public holidays — and is
flagged loudly to administrators (``calendar_warnings``: the calendar page, the settings page, and
"my day") weeks before it starts; it is never quietly treated as a year without holidays.

The working *hours* of those days — the working day's start and end and its lunch break — are
counted by ``kam.worktime`` (working seconds between two instants, a deadline so many working
seconds after one), from the same built calendar.

Speed: nightly jobs call these once per tenant (to turn "2 working days ago" into a date parameter
of a set-based statement) and pages call them per row. Each process keeps one built calendar per
tenant, keyed by the tenant's calendar stamp (``Tenant.calendar_version``), which every change of
the calendar replaces (``kam.calendar_services``). A request or task loads its tenant afresh, so
the next request of every process sees a change; the request that made it sees it at once. A call
costs no query once built; building costs two.
"""

from __future__ import annotations

import bisect
import datetime
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kam.calendar_models import DayKind, EntrySource, YearCoverage
from kam.calendar_selectors import calendar_days, calendar_settings, package_schedule, package_years
from kam.tenancy import current_tenant_or_none, get_current_tenant, tenant_context

if TYPE_CHECKING:
    from kam.models import Tenant

log = logging.getLogger(__name__)

__all__ = ["CalendarWarning", "YearCoverage", "calendar_warnings", "is_working_day",
           "working_days_add", "working_days_between", "year_coverage"]


@dataclass(frozen=True)
class CalendarWarning:
    """A year that starts soon (or has started) and has no official schedule."""

    year: int
    starts_on: datetime.date
    days_until: int  # days from today to its first day; 0 or less once it has started

    @property
    def started(self) -> bool:
        return self.days_until <= 0


@dataclass(frozen=True)
class _Calendar:
    """One company's calendar, built once per stamp: the weekly rule, and the dates on which the
    rule is wrong (a public holiday on a weekday, a make-up Saturday, a company day); and the
    working periods of a working day on the wall clock (kam.worktime)."""

    stamp: uuid.UUID | None
    tenant_id: int
    weekdays: frozenset[int]
    flipped: frozenset[datetime.date]
    flipped_sorted: tuple[datetime.date, ...]
    official_years: frozenset[int]
    observes_statutory_holidays: bool
    # [start, end) of each working period of a working day, in order: the day's start to the lunch
    # break and the break's end to the day's end, or the whole day when it has no break.
    periods: tuple[tuple[datetime.time, datetime.time], ...]

    def works(self, day: datetime.date) -> bool:
        return (day.weekday() in self.weekdays) != (day in self.flipped)

    def working_days_in(self, start: datetime.date, end: datetime.date) -> int:
        """The working days in (``start``, ``end``], ``start`` <= ``end``: whole weeks counted
        from the weekly rule, then corrected by the dates that break it."""
        weeks, rest = divmod((end - start).days, 7)
        count = weeks * len(self.weekdays) + sum(
            1 for i in range(1, rest + 1)
            if (start + datetime.timedelta(days=i)).weekday() in self.weekdays)
        first = bisect.bisect_right(self.flipped_sorted, start)
        last = bisect.bisect_right(self.flipped_sorted, end)
        for day in self.flipped_sorted[first:last]:
            count += -1 if day.weekday() in self.weekdays else 1
        return count

    def coverage(self, year: int) -> str:
        if year in self.official_years:
            return YearCoverage.OFFICIAL
        if year in package_years():
            return YearCoverage.PACKAGE
        return YearCoverage.MISSING


# tenant id -> its calendar of the latest stamp this process saw, the most recently used last.
# Replaced whole, never mutated. At most BUILT_MAX companies' (~36 KB each): a worker that runs
# the night of thousands keeps its memory flat (bench/visits_jobs.py); one evicted is rebuilt.
BUILT_MAX = 256
_built: OrderedDict[int, _Calendar] = OrderedDict()
# (tenant id, year) already logged as counted without its official schedule.
_logged_missing: set[tuple[int, int]] = set()


def _build(tenant: Tenant) -> _Calendar:
    current = current_tenant_or_none()
    if current is not None and current.pk == tenant.pk:
        settings, days = calendar_settings(), calendar_days()
    else:
        with tenant_context(tenant):
            settings, days = calendar_settings(), calendar_days()
    weekdays = frozenset(settings.working_weekdays)
    official_years = frozenset(year for _d, _k, source, year in days
                               if source == EntrySource.OFFICIAL)
    works: dict[datetime.date, bool] = {}  # the days the calendar names, working or not
    if settings.observes_statutory_holidays:
        official = [(d.day, d.kind) for d in package_schedule().values()
                    if d.day.year not in official_years]
        official += [(day, kind) for day, kind, source, _y in days if source == EntrySource.OFFICIAL]
        for day, kind in official:
            if kind == DayKind.HOLIDAY:
                works[day] = False
            elif settings.works_makeup_days:
                works[day] = True
            else:
                works.pop(day, None)  # a stored make-up day over a built-in day off: the weekly rule
    for day, kind, source, _y in days:
        if source == EntrySource.COMPANY:
            works[day] = kind == DayKind.WORKING
    flipped = frozenset(day for day, working in works.items()
                        if working != (day.weekday() in weekdays))
    periods: tuple[tuple[datetime.time, datetime.time], ...]
    if settings.break_starts is not None and settings.break_ends is not None:
        periods = ((settings.day_starts, settings.break_starts),
                   (settings.break_ends, settings.day_ends))
    else:
        periods = ((settings.day_starts, settings.day_ends),)
    return _Calendar(stamp=tenant.calendar_version, tenant_id=tenant.pk, weekdays=weekdays,
                     flipped=flipped, flipped_sorted=tuple(sorted(flipped)),
                     official_years=official_years,
                     observes_statutory_holidays=settings.observes_statutory_holidays,
                     periods=periods)


def _calendar(tenant: Tenant | None) -> _Calendar:
    tenant = tenant if tenant is not None else get_current_tenant()
    calendar = _built.get(tenant.pk)
    if calendar is None or calendar.stamp != tenant.calendar_version:
        calendar = _build(tenant)
        _built[tenant.pk] = calendar
        while len(_built) > BUILT_MAX:
            _built.popitem(last=False)
    else:
        _built.move_to_end(tenant.pk)
    return calendar


def _checked(calendar: _Calendar, *days: datetime.date) -> _Calendar:
    """Log (once per process) a year counted without its official schedule: the pages flag it,
    the log tells whoever reads it why a deadline ignored the holidays."""
    if calendar.observes_statutory_holidays:
        for year in {day.year for day in days}:
            key = (calendar.tenant_id, year)
            if key not in _logged_missing and calendar.coverage(year) == YearCoverage.MISSING:
                _logged_missing.add(key)
                log.warning("tenant %s: %s has no official holiday schedule; counted with the "
                            "weekly working days only", calendar.tenant_id, year)
    return calendar


def is_working_day(day: datetime.date, *, tenant: Tenant | None = None) -> bool:
    """Whether the company works on ``day`` (``tenant``, or the current tenant)."""
    return _checked(_calendar(tenant), day).works(day)


def working_days_add(day: datetime.date, n: int, *, tenant: Tenant | None = None) -> datetime.date:
    """The ``n``-th working day after ``day`` (``n`` > 0), before it (``n`` < 0); ``day`` itself
    for ``n`` == 0. ``day`` need not be a working day: one working day after a Saturday is the
    Monday (or the make-up Sunday)."""
    calendar = _calendar(tenant)
    if n == 0:
        return day
    if not calendar.weekdays:
        raise ValueError("the company has no working day in its week")
    step = datetime.timedelta(days=1 if n > 0 else -1)
    remaining, current = abs(n), day
    while remaining:
        current += step
        if calendar.works(current):
            remaining -= 1
    _checked(calendar, day, current)
    return current


def working_days_between(start: datetime.date, end: datetime.date, *,
                         tenant: Tenant | None = None) -> int:
    """The working days in (``start``, ``end``]: after ``start``, up to and including ``end``;
    negative (the same count, negated) when ``end`` is before ``start``. Counted in constant time
    from the weekly rule, then corrected by the dates that break it."""
    if end < start:
        return -working_days_between(end, start, tenant=tenant)
    return _checked(_calendar(tenant), start, end).working_days_in(start, end)


def year_coverage(year: int, *, tenant: Tenant | None = None) -> str:
    """Where ``year``'s official schedule comes from: ``YearCoverage.OFFICIAL`` (the company
    entered or imported it), ``PACKAGE`` (built in), ``MISSING`` (nobody has it yet)."""
    return _calendar(tenant).coverage(year)


def calendar_warnings(*, tenant: Tenant | None = None, today: datetime.date,
                      ahead_days: int = 60) -> list[CalendarWarning]:
    """The years without an official schedule that have started or start within ``ahead_days``
    of ``today`` (this year, and next year from early November): for the calendar and settings
    pages and "my day". None for a company that does not keep the public holidays."""
    calendar = _calendar(tenant)
    if not calendar.observes_statutory_holidays:
        return []
    horizon = today + datetime.timedelta(days=ahead_days)
    warnings = []
    for year in range(today.year, horizon.year + 1):
        if calendar.coverage(year) == YearCoverage.MISSING:
            starts_on = datetime.date(year, 1, 1)
            warnings.append(CalendarWarning(year=year, starts_on=starts_on,
                                            days_until=(starts_on - today).days))
    return warnings
