"""The dates of care occasions (客户关怀): birthdays in the solar or the Chinese lunar calendar,
festivals of either calendar, contract anniversaries — for one year, and for a window of days
(which occasions fall on which solar days), in pure Python. The nightly job turns a window into
one set-based statement per kind (care/sql.py).

The lunar calendar comes from the pip package ``lunar_python`` (6tail's lunar calendar, the one
Chinese calendar apps use; its tables run from 1900 to 2100). Rules of this module:

- A lunar birthday falls on its month and day of the lunar year. A birthday in a leap month
  (闰月) falls in the leap month when the year has that leap month, else in the ordinary month of
  that number. A birthday on day 30 falls on day 29 in a month of 29 days (大月/小月).
- A solar birthday on 29 February falls on 28 February in common years.
- A contract's anniversary is its start date's month and day (29 February: 28 February), from
  the first full year on.
- The *year* of an occasion is the year of its own calendar: the lunar year for a lunar one (a
  lunar date can fall twice in one solar year, never twice in one lunar year), the solar year
  for a solar one. A reminder is unique per person, occasion and that year.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache

from lunar_python import Lunar, LunarMonth, LunarYear, Solar

FIRST_YEAR, LAST_YEAR = 1901, 2099  # within the package's tables, with a year's margin


@dataclass(frozen=True)
class LunarDay:
    """A solar day's place in the lunar calendar."""

    year: int
    month: int
    day: int
    leap: bool  # in the year's leap month (闰月)


@lru_cache(maxsize=4096)
def lunar_of(day: datetime.date) -> LunarDay:
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = lunar.getMonth()
    return LunarDay(year=lunar.getYear(), month=abs(month), day=lunar.getDay(), leap=month < 0)


@lru_cache(maxsize=1024)
def leap_month_of(year: int) -> int:
    """The lunar year's leap month (1–12), 0 when it has none."""
    return int(LunarYear.fromYear(year).getLeapMonth())


@lru_cache(maxsize=4096)
def month_length(year: int, month: int, *, leap: bool = False) -> int:
    """Days (29 or 30) of a lunar month of ``year`` (its leap month when ``leap``)."""
    return int(LunarMonth.fromYm(year, -month if leap else month).getDayCount())


def lunar_date(year: int, month: int, day: int, *, leap: bool = False) -> datetime.date:
    """The solar date of a lunar birthday (or festival) ``month``/``day`` in the lunar ``year``:
    in the leap month when ``leap`` and the year has it, else in the ordinary month; day 30 in
    a month of 29 days on its 29th."""
    if not 1 <= month <= 12 or not 1 <= day <= 30:
        raise ValueError(f"no lunar month {month} day {day}")
    in_leap = leap and leap_month_of(year) == month
    day = min(day, month_length(year, month, leap=in_leap))
    solar = Lunar.fromYmd(year, -month if in_leap else month, day).getSolar()
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def solar_date(year: int, month: int, day: int) -> datetime.date:
    """The date of a solar birthday, festival or anniversary in ``year``: 29 February on
    28 February in common years."""
    if month == 2 and day == 29:
        try:
            return datetime.date(year, 2, 29)
        except ValueError:
            return datetime.date(year, 2, 28)
    return datetime.date(year, month, day)


def days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Every day from ``start`` to ``end``, both included."""
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


# --- windows: which month/day pairs fall on which days ------------------------------------------


@dataclass(frozen=True)
class Hit:
    """A stored month/day (``leap`` for lunar ones: 1 a leap-month date, 0 an ordinary one,
    None either) falling on ``on``, in its calendar's ``year``."""

    month: int
    day: int
    leap: int | None
    on: datetime.date
    year: int


def solar_hits(start: datetime.date, end: datetime.date) -> list[Hit]:
    """Solar month/day pairs whose date falls between ``start`` and ``end``: each day's own, and
    29 February on 28 February of a common year."""
    hits = []
    for day in days(start, end):
        hits.append(Hit(day.month, day.day, None, day, day.year))
        if day.month == 2 and day.day == 28 and solar_date(day.year, 2, 29) == day:
            hits.append(Hit(2, 29, None, day, day.year))
    return hits


def lunar_hits(start: datetime.date, end: datetime.date) -> list[Hit]:
    """Lunar month/day pairs (with their leap flag) whose date falls between ``start`` and
    ``end``, by the rules of ``lunar_date``: on a day of an ordinary month, that month's day (a
    leap-month birthday too when the year has no leap month of that number); on a day of the
    leap month, the leap-month date; on the 29th of a month of 29 days, day 30 too."""
    hits = []
    for day in days(start, end):
        lunar = lunar_of(day)
        last = month_length(lunar.year, lunar.month, leap=lunar.leap) == lunar.day
        same_day = [lunar.day, 30] if last and lunar.day == 29 else [lunar.day]
        if lunar.leap:
            flags: list[int | None] = [1]
        elif leap_month_of(lunar.year) == lunar.month:
            flags = [0]  # the leap-month birthdays fall in the leap month this year
        else:
            flags = [None]
        for flag in flags:
            for number in same_day:
                hits.append(Hit(lunar.month, number, flag, day, lunar.year))
    return hits
