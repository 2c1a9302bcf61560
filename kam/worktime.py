"""Working time: the company's working hours on its working days, as the clocks owed to customers
count them (DESIGN.md §5) — a service request answered "within 2 working hours" is not late
because it arrived on Friday at 17:30 or on the eve of National Day.

A working day (``kam.calendar``: the weekly rule, China's public holidays and make-up working days
调休, the company's own days) has one or two working periods on the company's wall clock:
``[day_starts, break_starts)`` and ``[break_ends, day_ends)``, or ``[day_starts, day_ends)`` for a
company without a lunch break (``CalendarSettings``). Periods are half-open: 18:00 is not working
time, and neither is 12:00 when the break starts then.

Instants in may be aware datetimes of any zone; instants out are aware datetimes in the tenant's
zone (``kam.clock.zone(tenant.time_zone)``). Days and wall-clock hours are the tenant's, and every
length is measured between real instants (in UTC): on the day a zone's clocks change, a period
that spans the change is an hour shorter or longer, as the people working it live it. A wall time
the clocks skip is read with the offset before the jump (Python's ``fold=0``: 02:30 on the spring
day in Berlin is 03:30 summer time).

A year without an official schedule is counted with the weekly rule only and logged (as
``kam.calendar`` does; the pages flag it to administrators).

Speed: the calendar is the one ``kam.calendar`` built for the tenant's stamp (no query once built).
Whole days between two instants are counted arithmetically — working days (whole weeks from the
weekly rule, corrected by the dates that break it) times the length of a working day — then
corrected on the few days a year the zone's clocks change; a deadline jumps whole weeks at a time.
A span of months costs about as much as a span of a day.
"""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING

from kam import clock
from kam.calendar import _Calendar, _calendar, _checked
from kam.tenancy import get_current_tenant

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kam.models import Tenant

__all__ = ["working_intervals", "working_seconds_between", "working_time_add"]

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)
NOTHING = datetime.timedelta(0)
SECOND = datetime.timedelta(seconds=1)

Interval = tuple[datetime.datetime, datetime.datetime]


class _Context:
    """The built calendar and the zone of one call (the zone is read from the tenant each time:
    a change of the tenant's zone does not change its calendar stamp)."""

    __slots__ = ("calendar", "zone", "zone_name")

    def __init__(self, tenant: Tenant | None) -> None:
        tenant = tenant if tenant is not None else get_current_tenant()
        self.calendar: _Calendar = _calendar(tenant)
        self.zone_name: str = tenant.time_zone
        self.zone: ZoneInfo = clock.zone(tenant.time_zone)

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.zone).date()

    def periods(self, day: datetime.date) -> list[Interval]:
        """The working periods of ``day`` as UTC instants; none on a day off. Each starts no
        earlier than the one before it ends, whatever a change of the clocks does to wall times."""
        if not self.calendar.works(day):
            return []
        found: list[Interval] = []
        for starts, ends in self.calendar.periods:
            begin = datetime.datetime.combine(day, starts, tzinfo=self.zone).astimezone(UTC)
            end = datetime.datetime.combine(day, ends, tzinfo=self.zone).astimezone(UTC)
            if found:
                begin = max(begin, found[-1][1])
            if end > begin:
                found.append((begin, end))
        return found

    def nominal_day(self) -> datetime.timedelta:
        """The length of a working day on the wall clock: a real day's, except where the clocks
        change during it."""
        day = datetime.date(2001, 1, 1)  # any date: naive wall times
        length = sum((datetime.datetime.combine(day, ends) - datetime.datetime.combine(day, starts)
                      for starts, ends in self.calendar.periods), NOTHING)
        if length <= NOTHING:
            raise ValueError("the company's working day has no working hours")
        return length

    def whole_days(self, first: datetime.date, last: datetime.date) -> datetime.timedelta:
        """The working time of the days ``first`` … ``last`` (inclusive; none when ``last`` is
        before ``first``): the working days times a working day's length, corrected on the days
        the clocks change."""
        if last < first:
            return NOTHING
        nominal = self.nominal_day()
        total = nominal * self.calendar.working_days_in(first - DAY, last)
        for day in _clock_change_days(self.zone_name, first, last):
            if self.calendar.works(day):
                total += _length(self.periods(day)) - nominal
        return total

    def checked(self, first: datetime.date, last: datetime.date) -> None:
        """Log the years of ``first`` … ``last`` counted without their official schedule."""
        _checked(self.calendar, first, last,
                 *(datetime.date(year, 1, 1) for year in range(first.year + 1, last.year)))


@functools.lru_cache(maxsize=256)
def _clock_change_year(zone_name: str, year: int) -> tuple[datetime.date, ...]:
    """The days of ``year`` on which the zone's clocks change, each with the day after it (a
    change at midnight belongs to either, depending on the zone's rule). Counting them is the
    only per-day work; cached, it is done once per zone and year (none for Asia/Shanghai, which
    has kept one offset since 1991). Counting one of these days exactly costs nothing when the
    change falls outside its working hours, so taking one day too many is harmless."""
    zone = clock.zone(zone_name)
    found: set[datetime.date] = set()
    day = datetime.date(year, 1, 1)
    offset = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).utcoffset()
    while day.year == year:
        following = day + DAY
        next_offset = datetime.datetime.combine(following, datetime.time.min,
                                                tzinfo=zone).utcoffset()
        if next_offset != offset:
            found.update((day, following))
        day, offset = following, next_offset
    return tuple(sorted(found))


def _clock_change_days(zone_name: str, first: datetime.date,
                       last: datetime.date) -> list[datetime.date]:
    return [day for year in range(first.year, last.year + 1)
            for day in _clock_change_year(zone_name, year) if first <= day <= last]


def _length(periods: list[Interval]) -> datetime.timedelta:
    return sum((end - begin for begin, end in periods), NOTHING)


def _overlap(periods: list[Interval], start: datetime.datetime,
             end: datetime.datetime) -> datetime.timedelta:
    total = NOTHING
    for begin, finish in periods:
        low, high = max(begin, start), min(finish, end)
        if high > low:
            total += high - low
    return total


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in UTC: lengths are taken there (Python subtracts two datetimes of one zone
    on their wall clocks, which is wrong across a change of the clocks)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working time needs aware datetimes (a naive one has no zone)")
    return moment.astimezone(UTC)


# --- the public functions -------------------------------------------------------------------------


def working_intervals(start: datetime.datetime, end: datetime.datetime, *,
                      tenant: Tenant | None = None) -> list[tuple[datetime.datetime,
                                                                  datetime.datetime]]:
    """The working periods between ``start`` and ``end``, clipped to them, in order, as
    ``(from, to)`` in the tenant's zone (``tenant``, or the current tenant); empty when ``end`` is
    not after ``start``. For a timeline or a page that shows when a clock ran; one entry per
    working period, so keep the span to what a page shows."""
    context = _Context(tenant)
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    first, last = context.local_date(start), context.local_date(end)
    context.checked(first, last)
    found = []
    day = first
    while day <= last:
        for begin, finish in context.periods(day):
            low, high = max(begin, start), min(finish, end)
            if high > low:
                found.append((low.astimezone(context.zone), high.astimezone(context.zone)))
        day += DAY
    return found


def working_seconds_between(start: datetime.datetime, end: datetime.datetime, *,
                            tenant: Tenant | None = None) -> int:
    """The seconds of working time between ``start`` and ``end`` (whole seconds, rounded down);
    0 when ``end`` is not after ``start``. How long a clock has run: a request received at
    17:30 and answered at 09:30 the next working day took one working hour."""
    context = _Context(tenant)
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0
    first, last = context.local_date(start), context.local_date(end)
    context.checked(first, last)
    if first == last:
        total = _overlap(context.periods(first), start, end)
    else:
        total = (_overlap(context.periods(first), start, end)
                 + context.whole_days(first + DAY, last - DAY)
                 + _overlap(context.periods(last), start, end))
    return total // SECOND


def working_time_add(start: datetime.datetime, seconds: int, *,
                     tenant: Tenant | None = None) -> datetime.datetime:
    """The instant at which ``seconds`` (>= 0) of working time have passed since ``start``: the
    deadline of a clock started then, in the tenant's zone.

    Outside working time the clock starts at the next working moment: a request received on
    Sunday, or at 12:20 during the lunch break, is counted from Monday 09:00, or from 13:00. A
    deadline that falls on the end of a working period stays there: 17:30 plus 30 minutes is
    18:00 that day, not 09:00 the next working day. ``seconds`` == 0 gives ``start`` itself when it
    is working time, else the next working moment (where the clock would start), so that
    ``working_seconds_between(start, working_time_add(start, n)) == n`` always holds."""
    if seconds < 0:
        raise ValueError("working_time_add counts forward: seconds must be 0 or more")
    context = _Context(tenant)
    calendar = context.calendar
    if not calendar.weekdays:
        raise ValueError("the company has no working day in its week")
    start = _utc(start)
    first = day = context.local_date(start)
    left = datetime.timedelta(seconds=seconds)

    def found(moment: datetime.datetime) -> datetime.datetime:
        context.checked(first, context.local_date(moment))
        return moment.astimezone(context.zone)

    # The rest of start's own day.
    for begin, end in context.periods(day):
        if end <= start:
            continue
        begin = max(begin, start)
        if left <= end - begin:
            return found(begin + left)
        left -= end - begin
    # Whole weeks, counted arithmetically, while more than a week's working time is left. A week
    # holds at most seven working days (make-up days and the company's own working days): the jump
    # keeps some time for the days after it, unless the clocks changed in it, then it is halved.
    week_most = 7 * context.nominal_day()
    while left > week_most:
        weeks = left // week_most
        while True:
            target = day + weeks * WEEK
            passed = context.whole_days(day + DAY, target)
            if passed < left or weeks == 1:
                break
            weeks //= 2
        if passed >= left:
            break
        day, left = target, left - passed
    # Then day by day: less than a week's working time is left (or the weeks are mostly off).
    while True:
        day += DAY
        for begin, end in context.periods(day):
            if left <= end - begin:
                return found(begin + left)
            left -= end - begin
