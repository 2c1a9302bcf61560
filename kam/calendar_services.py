"""Writes of the working calendar: the company's calendar settings, its calendar days (one at a
time, or a year's official schedule imported at once). Every write gives the tenant a new calendar
stamp in the same transaction, so every process rebuilds its calendar (kam.calendar).

The rules of a calendar day live here once (``_day_errors``): the page's form, the validate-only
twins and the import's preview all ask them."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam import clock, l10n
from kam.calendar_models import CalendarEntry, CalendarSettings, DayKind, EntrySource, Weekday
from kam.calendar_selectors import official_range, package_year, package_years
from kam.models import Tenant
from kam.tenancy import get_current_tenant

NAME_MAX = CalendarEntry._meta.get_field("name").max_length or 100
# The years a schedule may be entered for (a typo such as 20277 is no year anyone plans in).
YEAR_MIN, YEAR_MAX = 2000, 2100


def _calendar_write() -> None:
    """Start a change of the current tenant's calendar, first thing in its transaction: a new
    calendar stamp on the tenant row (kam.calendar rebuilds on the next call; a random one, so a
    stamp of a transaction that was rolled back never comes back). The UPDATE also holds the
    tenant row until the transaction ends, so two changes of one company's calendar take turns
    and the second one's checks see the first one's days."""
    tenant = get_current_tenant()
    stamp = uuid.uuid4()
    Tenant.objects.filter(pk=tenant.pk).update(calendar_version=stamp)
    tenant.calendar_version = stamp


# --- settings -------------------------------------------------------------------------------------


def _settings_errors(*, working_weekdays: Sequence[int] | None, day_starts: datetime.time | None,
                     day_ends: datetime.time | None, break_starts: datetime.time | None,
                     break_ends: datetime.time | None) -> dict[str, list[str]]:
    """Every rule of the settings at once (field -> messages). None is unknown, or for a break
    bound, empty: a "give the other one too" message goes on the empty bound, so a page whose
    bound did not parse keeps that bound's own error only (ServiceErrors.add_rule_errors)."""
    errors: dict[str, list[str]] = {}
    if working_weekdays is not None:
        if not working_weekdays:
            errors["working_weekdays"] = [_("Choose at least one working day of the week.")]
        elif not set(working_weekdays) <= set(Weekday.values):
            errors["working_weekdays"] = [_("Choose the days of the week from the list.")]
    if day_starts is not None and day_ends is not None and day_ends <= day_starts:
        errors["day_ends"] = [_("The working day must end after it starts.")]
    if break_starts is None and break_ends is not None:
        errors["break_starts"] = [_("Give the start of the lunch break too, or leave both empty.")]
    elif break_starts is not None and break_ends is None:
        errors["break_ends"] = [_("Give the end of the lunch break too, or leave both empty.")]
    # Strictly inside the day: a break at either edge of it is a shorter working day.
    if break_starts is not None and day_starts is not None and break_starts <= day_starts:
        errors.setdefault("break_starts", []).append(
            _("The lunch break must start after the working day starts."))
    if break_ends is not None and break_starts is not None and break_ends <= break_starts:
        errors.setdefault("break_ends", []).append(_("The lunch break must end after it starts."))
    if break_ends is not None and day_ends is not None and break_ends >= day_ends:
        errors.setdefault("break_ends", []).append(
            _("The lunch break must end before the working day ends."))
    return errors


def calendar_settings_check(*, working_weekdays: Sequence[int] | None,
                            day_starts: datetime.time | None, day_ends: datetime.time | None,
                            break_starts: datetime.time | None = None,
                            break_ends: datetime.time | None = None,
                            observes_statutory_holidays: bool | None = None,
                            works_makeup_days: bool | None = None) -> None:
    """The rules of ``calendar_settings_update`` without changing anything (None: unknown; for
    the break's bounds, unknown or empty)."""
    errors = _settings_errors(working_weekdays=working_weekdays, day_starts=day_starts,
                              day_ends=day_ends, break_starts=break_starts, break_ends=break_ends)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def calendar_settings_update(*, working_weekdays: Sequence[int], day_starts: datetime.time,
                             day_ends: datetime.time, break_starts: datetime.time | None,
                             break_ends: datetime.time | None, observes_statutory_holidays: bool,
                             works_makeup_days: bool) -> CalendarSettings:
    """Set the company's working days of the week, working hours and lunch break (both bounds
    None: no break), and whether it keeps China's public holidays and works their make-up days.
    Audited (the settings' event table)."""
    _calendar_write()
    errors = _settings_errors(working_weekdays=working_weekdays, day_starts=day_starts,
                              day_ends=day_ends, break_starts=break_starts, break_ends=break_ends)
    if errors:
        raise ValidationError(errors)
    # The tenant row is held (_calendar_write): no other change of the calendar runs meanwhile.
    row, _created = CalendarSettings.objects.get_or_create(tenant=get_current_tenant())
    values = {"working_weekdays": sorted(set(working_weekdays)), "day_starts": day_starts,
              "day_ends": day_ends, "break_starts": break_starts, "break_ends": break_ends,
              "observes_statutory_holidays": observes_statutory_holidays,
              "works_makeup_days": works_makeup_days}
    if any(getattr(row, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(row, field, value)
        row.updated_at = clock.now()
        row.save()
    return row


# --- calendar days --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayInput:
    """A calendar day as a form or a file row gives it (None: did not parse, not judged)."""

    day: datetime.date | None
    kind: str | None
    name: str | None


def _schedule_year(source: str | None, day: datetime.date | None, year: int | None) -> int | None:
    """The schedule a day belongs to: the official one of ``year``; the company's own days belong
    to their own year."""
    if source == EntrySource.COMPANY:
        return day.year if day is not None else None
    return year


def _day_errors(row: DayInput, *, source: str | None, year: int | None) -> dict[str, list[str]]:
    """The rules of one calendar day, whichever channel brings it (field -> messages)."""
    errors: dict[str, list[str]] = {}
    if row.kind is not None and row.kind not in DayKind.values:
        errors["kind"] = [_("Choose a day off or a working day.")]
    if row.name is not None and len(row.name.strip()) > NAME_MAX:
        errors["name"] = [_("Keep the name to %(n)d characters.") % {"n": NAME_MAX}]
    if source is not None and source not in EntrySource.values:
        errors["source"] = [_("Choose the official schedule or your company's own.")]
    if source == EntrySource.OFFICIAL and year is not None and not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [_("Choose a year from the list.")]
    elif source == EntrySource.OFFICIAL and row.day is not None and year is not None:
        first, last = official_range(year)
        if not first <= row.day <= last:
            errors["day"] = [_("The official schedule of %(year)s holds dates from %(first)s to "
                               "%(last)s.") % {"year": year, "first": l10n.day(first),
                                               "last": l10n.day(last)}]
    return errors


def _taken(day: datetime.date, *, source: str, entry_id: int | None) -> str | None:
    """The error when another stored day of the same source has this date."""
    other = (CalendarEntry.objects.filter(source=source, day=day).exclude(pk=entry_id)
             .values_list("year", flat=True).first())
    if other is None:
        return None
    if source == EntrySource.COMPANY:
        return _("%(date)s is already one of your company's own days: edit that one.") % {
            "date": l10n.day(day)}
    return _("%(date)s is already in the official schedule of %(year)s: edit that one.") % {
        "date": l10n.day(day), "year": other}


def _entry_errors(*, entry_id: int | None, day: datetime.date | None, kind: str | None,
                  name: str | None, source: str | None, year: int | None) -> dict[str, list[str]]:
    errors = _day_errors(DayInput(day=day, kind=kind, name=name), source=source,
                         year=_schedule_year(source, day, year))
    if day is not None and source in EntrySource.values and "day" not in errors:
        taken = _taken(day, source=source, entry_id=entry_id)
        if taken:
            errors["day"] = [taken]
    return errors


def calendar_entry_check(*, day: datetime.date | None, kind: str | None, name: str | None,
                         source: str | None, year: int | None, entry_id: int | None = None) -> None:
    """The rules of ``calendar_entry_save`` without saving (a value None is unknown)."""
    errors = _entry_errors(entry_id=entry_id, day=day, kind=kind, name=name, source=source,
                           year=year)
    if errors:
        raise ValidationError(errors)


def _adopt_built_in(year: int, *, except_day: datetime.date | None) -> None:
    """Before the first stored day of an official schedule the package holds, store the
    package's schedule of that year: the year's schedule becomes the stored one, and one changed
    day must not drop the year's other holidays."""
    if year not in package_years() or CalendarEntry.objects.filter(
            source=EntrySource.OFFICIAL, year=year).exists():
        return
    tenant = get_current_tenant()
    CalendarEntry.objects.bulk_create([
        CalendarEntry(tenant=tenant, day=d.day, kind=d.kind, name=d.name,
                      source=EntrySource.OFFICIAL, year=year)
        for d in package_year(year) if d.day != except_day])


@transaction.atomic
def calendar_entry_save(*, day: datetime.date, kind: str, name: str, source: str, year: int | None,
                        entry_id: int | None = None) -> CalendarEntry:
    """Add a calendar day (``entry_id`` None) or change one. An official day belongs to the
    schedule of ``year``; the company's own days to their own year. The first official day of a
    year the package holds stores the package's schedule of that year with it."""
    tenant = get_current_tenant()
    _calendar_write()
    errors = _entry_errors(entry_id=entry_id, day=day, kind=kind, name=name, source=source,
                           year=year)
    schedule_year = _schedule_year(source, day, year)
    if schedule_year is None:
        errors.setdefault("year", []).append(_("Choose the year of the official schedule."))
    if errors or schedule_year is None:
        raise ValidationError(errors)
    found = CalendarEntry.objects.filter(pk=entry_id).first() if entry_id is not None else None
    if entry_id is not None and found is None:
        raise ValidationError(_("This day was removed in the meantime."))
    entry = found or CalendarEntry(tenant=tenant)
    if source == EntrySource.OFFICIAL:
        _adopt_built_in(schedule_year, except_day=day)
    entry.day, entry.kind, entry.name = day, kind, name.strip()
    entry.source, entry.year = source, schedule_year
    entry.save()
    return entry


@transaction.atomic
def calendar_entry_delete(*, entry_id: int) -> None:
    """Remove a calendar day. Removing the last day of a year's official schedule leaves the year
    to the package's schedule, or without one."""
    _calendar_write()
    CalendarEntry.objects.filter(pk=entry_id).delete()


# --- a year's official schedule, imported ---------------------------------------------------------


@dataclass(frozen=True)
class ImportDay:
    """A day of an imported schedule: where it came from in the file, and what it says."""

    line: int           # its row: the CSV line, or the iCalendar event's number
    day: datetime.date
    kind: str
    name: str


def import_errors(*, year: int, days: Sequence[ImportDay]) -> list[list[str]]:
    """The rules of every day of a year's import, one list of messages per day (empty: fine):
    a calendar day's rules, each date once in the file, and no date another year's stored
    official schedule holds. One query."""
    found = [[message for messages in _day_errors(DayInput(d.day, d.kind, d.name),
                                                  source=EntrySource.OFFICIAL, year=year).values()
              for message in messages] for d in days]
    elsewhere = dict(CalendarEntry.objects.filter(source=EntrySource.OFFICIAL,
                                                  day__in=[d.day for d in days])
                     .exclude(year=year).values_list("day", "year"))
    first_line: dict[datetime.date, int] = {}
    for d, messages in zip(days, found, strict=True):
        if d.day in first_line:
            messages.append(_("%(date)s is also in row %(line)d.") % {
                "date": l10n.day(d.day), "line": first_line[d.day]})
        else:
            first_line[d.day] = d.line
        if d.day in elsewhere:
            messages.append(_("%(date)s is in the official schedule of %(year)s.") % {
                "date": l10n.day(d.day), "year": elsewhere[d.day]})
    return found


def calendar_import_check(*, year: int, days: Sequence[ImportDay]) -> None:
    """The rules of ``calendar_year_import`` without importing: ``ValidationError`` naming every
    faulty line."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError({"year": [_("Choose a year from the list.")]})
    if not days:
        raise ValidationError({"file": [_("The file holds no day of %(year)s.") % {"year": year}]})
    problems = [_("Row %(line)d: %(error)s") % {"line": d.line, "error": " ".join(messages)}
                for d, messages in zip(days, import_errors(year=year, days=days), strict=True)
                if messages]
    if problems:
        raise ValidationError({"file": problems})


@transaction.atomic
def calendar_year_import(*, year: int, days: Sequence[ImportDay]) -> int:
    """Replace the stored official schedule of ``year`` with ``days``, all or nothing. Returns
    how many days were stored."""
    _calendar_write()
    calendar_import_check(year=year, days=days)
    CalendarEntry.objects.filter(source=EntrySource.OFFICIAL, year=year).delete()
    tenant = get_current_tenant()
    CalendarEntry.objects.bulk_create([
        CalendarEntry(tenant=tenant, day=d.day, kind=d.kind, name=d.name.strip(),
                      source=EntrySource.OFFICIAL, year=year) for d in days])
    return len(days)
