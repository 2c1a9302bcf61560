"""Reads of the working calendar: the company's settings and calendar days, the schedule built
into the package chinesecalendar, and what the calendar page shows per year. ``kam.calendar``
builds the per-process calendar from the first ones."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kam.calendar_models import CalendarEntry, CalendarSettings, DayKind, EntrySource, YearCoverage

# The names chinesecalendar gives its days (English, one per holiday), as people read them.
_PACKAGE_NAMES: dict[str, Promise] = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Qingming Festival"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-Autumn Festival"),
    "Anti-Fascist 70th Day": _("Victory Day (70th anniversary)"),
}

# The source of a day of the page's list that comes from the package, not from a stored row.
PACKAGE_SOURCE = "package"


@dataclass(frozen=True)
class ScheduleDay:
    day: datetime.date
    kind: str       # DayKind
    name: str       # as stored (the package's English name for its own days)


@functools.cache
def package_schedule() -> dict[datetime.date, ScheduleDay]:
    """Every day off and make-up working day chinesecalendar knows (2004 to its last year)."""
    from chinese_calendar import constants

    days = {day: ScheduleDay(day, DayKind.HOLIDAY, name) for day, name in constants.holidays.items()}
    days.update({day: ScheduleDay(day, DayKind.WORKING, name)
                 for day, name in constants.workdays.items()})
    return days


@functools.cache
def package_years() -> range:
    """The years whose official schedule chinesecalendar holds (it refuses any other year)."""
    from chinese_calendar import constants

    years = [day.year for day in constants.holidays]
    return range(min(years), max(years) + 1)


def package_year(year: int) -> list[ScheduleDay]:
    """The built-in official schedule of ``year``, by date (empty for a year it lacks)."""
    return sorted((d for d in package_schedule().values() if d.day.year == year),
                  key=lambda d: d.day)


def day_name(name: str) -> str:
    """A day's name as people read it: the package's English names translated, others as typed."""
    label = _PACKAGE_NAMES.get(name)
    return str(label) if label is not None else name


def official_range(year: int) -> tuple[datetime.date, datetime.date]:
    """The dates an official schedule of ``year`` may hold: the State Council's notice may name a
    make-up day in the December before (New Year's Day 2012: Saturday 31 December 2011)."""
    return datetime.date(year - 1, 12, 1), datetime.date(year, 12, 31)


def calendar_settings() -> CalendarSettings:
    """The current company's calendar settings; the defaults (not saved) before the first change:
    Monday to Friday, 09:00–18:00 with a lunch break 12:00–13:00, China's public holidays and
    their make-up days kept (the model's defaults). One query."""
    return CalendarSettings.objects.first() or CalendarSettings()


def calendar_days() -> list[tuple[datetime.date, str, str, int]]:
    """Every calendar day of the current company: (day, kind, source, year). One query: a
    company has a few dozen a year."""
    return list(CalendarEntry.objects.order_by().values_list("day", "kind", "source", "year"))


# --- the calendar page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    year: int
    coverage: str        # YearCoverage
    holidays: int        # days off of its official schedule (stored or built in)
    makeup_days: int     # make-up working days of its official schedule
    own_days: int        # the company's own days in that year

    @property
    def is_missing(self) -> bool:
        return self.coverage == YearCoverage.MISSING

    @property
    def coverage_label(self) -> str:
        return str(YearCoverage(self.coverage).label)


def year_summaries(*, today: datetime.date) -> list[YearSummary]:
    """Last year, this year, next year and every other year with calendar days, oldest first, with
    where their official schedule comes from and what it holds. One query."""
    counts: dict[tuple[int, str, str], int] = {
        (row["year"], row["source"], row["kind"]): row["n"]
        for row in CalendarEntry.objects.order_by().values("year", "source", "kind")
        .annotate(n=Count("id"))}
    years = {today.year - 1, today.year, today.year + 1} | {year for year, _s, _k in counts}
    summaries = []
    for year in sorted(years):
        official = {kind: counts.get((year, EntrySource.OFFICIAL, kind), 0) for kind in DayKind}
        own = sum(counts.get((year, EntrySource.COMPANY, kind), 0) for kind in DayKind)
        if any(official.values()):
            coverage = YearCoverage.OFFICIAL
        elif year in package_years():
            coverage = YearCoverage.PACKAGE
            built_in = package_year(year)
            official = {kind: sum(1 for d in built_in if d.kind == kind) for kind in DayKind}
        else:
            coverage = YearCoverage.MISSING
        summaries.append(YearSummary(year=year, coverage=coverage,
                                     holidays=official[DayKind.HOLIDAY],
                                     makeup_days=official[DayKind.WORKING], own_days=own))
    return summaries


@dataclass(frozen=True)
class DayRow:
    day: datetime.date
    kind: str            # DayKind
    name: str            # as people read it
    source: str          # EntrySource, or PACKAGE_SOURCE
    entry_id: int | None  # the stored row (None for a built-in day)

    @property
    def kind_label(self) -> str:
        return str(DayKind(self.kind).label)

    @property
    def source_label(self) -> str:
        if self.source == PACKAGE_SOURCE:
            return str(_("Official schedule (built in)"))
        return str(EntrySource(self.source).label)


def year_days(year: int) -> list[DayRow]:
    """The days of ``year`` that break the weekly rule, by date: its official schedule (the
    company's stored one, else the built-in one) and the company's own days. One query."""
    entries = list(CalendarEntry.objects.filter(year=year).order_by("day", "source", "id"))
    rows = [DayRow(day=e.day, kind=e.kind, name=day_name(e.name), source=e.source, entry_id=e.pk)
            for e in entries]
    if year in package_years() and not any(e.source == EntrySource.OFFICIAL for e in entries):
        rows += [DayRow(day=d.day, kind=d.kind, name=day_name(d.name), source=PACKAGE_SOURCE,
                        entry_id=None) for d in package_year(year)]
    # The official schedule before the company's own day on the same date (which wins).
    order = {EntrySource.OFFICIAL: 0, PACKAGE_SOURCE: 0, EntrySource.COMPANY: 1}
    return sorted(rows, key=lambda r: (r.day, order.get(r.source, 2)))


def official_schedule(year: int) -> list[ScheduleDay]:
    """The official schedule of ``year`` in force: the company's stored one, else the built-in
    one (empty for a missing year). One query."""
    stored = [ScheduleDay(day, kind, name) for day, kind, name in CalendarEntry.objects
              .filter(year=year, source=EntrySource.OFFICIAL).order_by("day")
              .values_list("day", "kind", "name")]
    return stored or package_year(year)


def own_days(year: int) -> list[ScheduleDay]:
    """The company's own days of ``year``, by date. One query."""
    return [ScheduleDay(day, kind, name) for day, kind, name in CalendarEntry.objects
            .filter(year=year, source=EntrySource.COMPANY).order_by("day")
            .values_list("day", "kind", "name")]
