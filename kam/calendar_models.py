"""The company's working calendar (kam.calendar reads it): its weekly working time and the days
that break the weekly rule — the year's official schedule of public holidays and make-up working
days (调休), as an administrator entered or imported it, and the company's own days.

Imported by kam.models (Django finds the models there)."""

from __future__ import annotations

import datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kam.audit import audited
from kam.tenancy import TenantOwned


class Weekday(models.IntegerChoices):
    """Python's numbering (``date.weekday()``): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def default_working_weekdays() -> list[int]:
    return [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]


DEFAULT_DAY_STARTS = datetime.time(9, 0)
DEFAULT_DAY_ENDS = datetime.time(18, 0)
# The lunch break a Chinese company keeps unless it says otherwise (午休).
DEFAULT_BREAK_STARTS = datetime.time(12, 0)
DEFAULT_BREAK_ENDS = datetime.time(13, 0)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off")
    WORKING = "working", _("Working day")


class EntrySource(models.TextChoices):
    # The State Council's schedule of the year, as an administrator entered or imported it.
    OFFICIAL = "official", _("Official schedule")
    # The company's own: a company holiday, a Saturday it works.
    COMPANY = "company", _("Your company's own")


class YearCoverage(models.TextChoices):
    """Where a year's official schedule comes from (kam.calendar.year_coverage)."""

    PACKAGE = "package", _("Built in")
    OFFICIAL = "official", _("Entered by your company")
    MISSING = "missing", _("Missing")


@audited(model_name="CalendarSettingsEvent")
class CalendarSettings(TenantOwned):
    """The company's weekly working time and how it keeps China's public holidays. One row per
    company, written on the first change (until then ``kam.calendar_selectors.calendar_settings``
    gives the defaults: Monday to Friday, 09:00–18:00 with a lunch break 12:00–13:00, holidays and
    make-up days kept)."""

    working_weekdays = ArrayField(models.PositiveSmallIntegerField(choices=Weekday.choices),
                                  verbose_name=_("working days of the week"),
                                  default=default_working_weekdays)
    # The working hours of a working day (the service-request clocks count them).
    day_starts = models.TimeField(_("working day starts"), default=DEFAULT_DAY_STARTS)
    day_ends = models.TimeField(_("working day ends"), default=DEFAULT_DAY_ENDS)
    # The lunch break inside the working day, which the clocks do not count: both set or both
    # empty (no break).
    break_starts = models.TimeField(_("lunch break starts"), null=True, blank=True,
                                    default=DEFAULT_BREAK_STARTS)
    break_ends = models.TimeField(_("lunch break ends"), null=True, blank=True,
                                  default=DEFAULT_BREAK_ENDS)
    observes_statutory_holidays = models.BooleanField(_("keeps China's public holidays"),
                                                      default=True)
    # 调休: a Saturday or Sunday the official schedule makes a working day.
    works_makeup_days = models.BooleanField(_("works the make-up working days"), default=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("working calendar settings")
        verbose_name_plural = _("working calendar settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="calendarsettings_tenant_uniq"),
            models.CheckConstraint(condition=Q(day_ends__gt=F("day_starts")),
                                   name="calendarsettings_day_ends_after_start"),
            models.CheckConstraint(condition=Q(break_starts__isnull=True, break_ends__isnull=True)
                                   | Q(break_starts__isnull=False, break_ends__isnull=False),
                                   name="calendarsettings_break_both_or_neither"),
            # Strictly inside: a break at either edge of the day is a shorter day.
            models.CheckConstraint(condition=Q(break_starts__isnull=True)
                                   | Q(break_starts__gt=F("day_starts"),
                                       break_ends__gt=F("break_starts"),
                                       day_ends__gt=F("break_ends")),
                                   name="calendarsettings_break_inside_day"),
        ]

    def __str__(self) -> str:
        hours = f"{self.day_starts:%H:%M}-{self.day_ends:%H:%M}"
        if self.break_starts is not None and self.break_ends is not None:
            hours += f" ({self.break_starts:%H:%M}-{self.break_ends:%H:%M})"
        return f"{self.working_weekdays} {hours}"


@audited(model_name="CalendarEntryEvent")
class CalendarEntry(TenantOwned):
    """One day that breaks the weekly rule: a day off or a working day, from the official
    schedule of ``year`` or the company's own.

    ``year`` is the schedule the day belongs to: the State Council's notice for a year may name a
    day of the December before (a make-up Saturday for New Year's Day), so an official day may lie
    in December of the year before; the company's own days belong to their own year."""

    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=EntrySource.choices)
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day", "source"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "day"],
                                    name="calendarentry_source_day_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "year", "day"], name="calendarentry_year_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.name}"
