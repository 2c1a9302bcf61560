"""kam.calendar on the real dates of 2026's official schedule (State Council notice of November
2025, as chinesecalendar 1.11 holds it):

- Spring Festival: 15–23 February off; Saturdays 14 and 28 February are working days.
- Mid-Autumn: Friday 25 September off (26–27 are the weekend).
- National Day: 1–7 October off; Sunday 20 September and Saturday 10 October are working days.

2027 has no official schedule yet (the package stops at 2026), so it is missing until an
administrator imports it."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam import calendar
from kam.calendar import (
    calendar_warnings,
    is_working_day,
    working_days_add,
    working_days_between,
    year_coverage,
)
from kam.calendar_models import DayKind, EntrySource, YearCoverage
from kam.calendar_services import (
    ImportDay,
    calendar_entry_delete,
    calendar_entry_save,
    calendar_settings_update,
    calendar_year_import,
)
from kam.models import Tenant
from kam.tenancy import tenant_context

pytestmark = pytest.mark.django_db

D = datetime.date
MON_FRI = [0, 1, 2, 3, 4]


def settings(tenant: Tenant, *, weekdays=MON_FRI, observes=True, makeup=True) -> None:
    with tenant_context(tenant):
        calendar_settings_update(working_weekdays=weekdays, day_starts=datetime.time(9),
                                 day_ends=datetime.time(18), break_starts=datetime.time(12),
                                 break_ends=datetime.time(13), observes_statutory_holidays=observes,
                                 works_makeup_days=makeup)


def own_day(tenant: Tenant, day: datetime.date, kind: str, name: str = "") -> int:
    with tenant_context(tenant):
        return calendar_entry_save(day=day, kind=kind, name=name, source=EntrySource.COMPANY,
                                   year=None).pk


def import_2027(tenant: Tenant) -> None:
    """2027's schedule as an administrator would import it (a made-up but plausible one)."""
    days = [ImportDay(1, D(2027, 1, 1), DayKind.HOLIDAY, "元旦")]
    days += [ImportDay(2, D(2027, 2, 5) + datetime.timedelta(days=i), DayKind.HOLIDAY, "春节")
             for i in range(9)]
    days += [ImportDay(3, D(2027, 2, 20), DayKind.WORKING, "春节补班")]
    with tenant_context(tenant):
        calendar_year_import(year=2027, days=days)


# --- 2026's official schedule ---------------------------------------------------------------------


@pytest.mark.parametrize("day", [D(2026, 10, d) for d in range(1, 8)]
                         + [D(2026, 2, d) for d in range(15, 24)]
                         + [D(2026, 9, 25), D(2026, 1, 1), D(2026, 5, 1), D(2026, 6, 19)])
def test_the_official_days_off_of_2026_are_no_working_days(tenant_a, day):
    assert not is_working_day(day, tenant=tenant_a)


@pytest.mark.parametrize("day", [D(2026, 9, 20), D(2026, 10, 10), D(2026, 2, 14), D(2026, 2, 28)])
def test_the_make_up_weekends_of_2026_are_working_days(tenant_a, day):
    assert day.weekday() >= 5  # a Saturday or Sunday
    assert is_working_day(day, tenant=tenant_a)


def test_ordinary_days_follow_the_week(tenant_a):
    assert is_working_day(D(2026, 10, 8), tenant=tenant_a)      # Thursday after National Day
    assert is_working_day(D(2026, 6, 15), tenant=tenant_a)      # an ordinary Monday
    assert not is_working_day(D(2026, 10, 17), tenant=tenant_a)  # an ordinary Saturday
    assert not is_working_day(D(2026, 10, 11), tenant=tenant_a)  # the Sunday after the make-up day


def test_working_days_add_across_national_day(tenant_a):
    wednesday = D(2026, 9, 30)
    assert working_days_add(wednesday, 0, tenant=tenant_a) == wednesday
    assert working_days_add(wednesday, 1, tenant=tenant_a) == D(2026, 10, 8)
    assert working_days_add(wednesday, 2, tenant=tenant_a) == D(2026, 10, 9)
    assert working_days_add(wednesday, 3, tenant=tenant_a) == D(2026, 10, 10)  # make-up Saturday
    assert working_days_add(wednesday, 4, tenant=tenant_a) == D(2026, 10, 12)
    assert working_days_add(D(2026, 10, 8), -1, tenant=tenant_a) == wednesday
    assert working_days_add(D(2026, 10, 12), -4, tenant=tenant_a) == wednesday
    # From a Friday: the make-up Sunday 20 September is the next working day.
    assert working_days_add(D(2026, 9, 18), 1, tenant=tenant_a) == D(2026, 9, 20)
    # From the Thursday before Mid-Autumn: Friday 25 is off.
    assert working_days_add(D(2026, 9, 24), 1, tenant=tenant_a) == D(2026, 9, 28)


def test_working_days_add_across_spring_festival(tenant_a):
    friday = D(2026, 2, 13)
    assert working_days_add(friday, 1, tenant=tenant_a) == D(2026, 2, 14)  # make-up Saturday
    assert working_days_add(friday, 2, tenant=tenant_a) == D(2026, 2, 24)  # after nine days off
    assert working_days_add(D(2026, 2, 24), -1, tenant=tenant_a) == D(2026, 2, 14)
    # Monday 23 February is still off: a follow-up due "1 working day" after the Sunday is Tuesday.
    assert working_days_add(D(2026, 2, 22), 1, tenant=tenant_a) == D(2026, 2, 24)


def test_working_days_between(tenant_a):
    # (30 Sep, 12 Oct]: 8, 9, 10 (make-up Saturday) and 12 October.
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12), tenant=tenant_a) == 4
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 30), tenant=tenant_a) == -4
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 1), tenant=tenant_a) == 0
    # The whole of February 2026: 20 weekdays, minus 6 weekdays off, plus two make-up Saturdays.
    assert working_days_between(D(2026, 1, 31), D(2026, 2, 28), tenant=tenant_a) == 16


def test_without_make_up_days(tenant_a):
    settings(tenant_a, makeup=False)
    assert not is_working_day(D(2026, 10, 10), tenant=tenant_a)
    assert not is_working_day(D(2026, 10, 1), tenant=tenant_a)  # the holiday is still kept
    assert working_days_add(D(2026, 9, 30), 3, tenant=tenant_a) == D(2026, 10, 12)
    assert working_days_add(D(2026, 9, 18), 1, tenant=tenant_a) == D(2026, 9, 21)
    assert working_days_add(D(2026, 2, 13), 1, tenant=tenant_a) == D(2026, 2, 24)
    assert working_days_between(D(2026, 1, 31), D(2026, 2, 28), tenant=tenant_a) == 14


def test_without_public_holidays_only_the_week_counts(tenant_a):
    settings(tenant_a, observes=False)
    assert is_working_day(D(2026, 10, 1), tenant=tenant_a)
    assert not is_working_day(D(2026, 10, 10), tenant=tenant_a)  # a make-up day of a holiday not kept
    assert working_days_add(D(2026, 9, 30), 1, tenant=tenant_a) == D(2026, 10, 1)


def test_the_company_s_own_days_win(tenant_a):
    own_day(tenant_a, D(2026, 10, 9), DayKind.HOLIDAY, "厂庆")         # a Friday off
    own_day(tenant_a, D(2026, 10, 7), DayKind.WORKING, "值班")         # works the last holiday
    own_day(tenant_a, D(2026, 10, 17), DayKind.WORKING, "盘点")        # an ordinary Saturday
    assert not is_working_day(D(2026, 10, 9), tenant=tenant_a)
    assert is_working_day(D(2026, 10, 7), tenant=tenant_a)
    assert is_working_day(D(2026, 10, 17), tenant=tenant_a)
    wednesday = D(2026, 9, 30)
    assert working_days_add(wednesday, 1, tenant=tenant_a) == D(2026, 10, 7)
    assert working_days_add(wednesday, 3, tenant=tenant_a) == D(2026, 10, 10)
    # (30 Sep, 17 Oct]: 7, 8, 10, 12–16, 17.
    assert working_days_between(wednesday, D(2026, 10, 17), tenant=tenant_a) == 9
    # A company day applies even without the public holidays and their make-up days.
    settings(tenant_a, observes=False)
    assert not is_working_day(D(2026, 10, 9), tenant=tenant_a)
    assert is_working_day(D(2026, 10, 17), tenant=tenant_a)


def test_another_weekly_rule(tenant_a):
    settings(tenant_a, weekdays=[0, 1, 2, 3, 4, 5])  # Monday to Saturday
    assert is_working_day(D(2026, 10, 17), tenant=tenant_a)      # an ordinary Saturday
    assert not is_working_day(D(2026, 10, 18), tenant=tenant_a)  # Sunday
    assert not is_working_day(D(2026, 10, 3), tenant=tenant_a)   # a Saturday of National Day
    assert working_days_add(D(2026, 10, 15), 2, tenant=tenant_a) == D(2026, 10, 17)
    assert working_days_between(D(2026, 10, 11), D(2026, 10, 18), tenant=tenant_a) == 6
    settings(tenant_a, weekdays=[1, 2, 3, 4, 5])  # Tuesday to Saturday: Mondays off
    assert not is_working_day(D(2026, 10, 12), tenant=tenant_a)
    assert working_days_add(D(2026, 10, 10), 1, tenant=tenant_a) == D(2026, 10, 13)


@pytest.mark.parametrize("weekdays", [MON_FRI, [0, 1, 2, 3, 4, 5], [2], [0, 2, 4, 6]])
def test_between_and_add_agree_with_counting_day_by_day(tenant_a, weekdays):
    settings(tenant_a, weekdays=weekdays)
    own_day(tenant_a, D(2026, 3, 4), DayKind.HOLIDAY)
    own_day(tenant_a, D(2026, 3, 8), DayKind.WORKING)
    rng = random.Random(13)
    for _ in range(200):
        start = D(2025, 11, 1) + datetime.timedelta(days=rng.randrange(500))
        end = start + datetime.timedelta(days=rng.randrange(-120, 120))
        low, high = min(start, end), max(start, end)
        count = sum(1 for i in range(1, (high - low).days + 1)
                    if is_working_day(low + datetime.timedelta(days=i), tenant=tenant_a))
        assert working_days_between(start, end, tenant=tenant_a) == (count if end >= start
                                                                     else -count)
        n = rng.randrange(-40, 40)
        moved = working_days_add(start, n, tenant=tenant_a)
        if n >= 0:  # n working days in (start, moved]
            assert working_days_between(start, moved, tenant=tenant_a) == n
        else:  # -n working days in [moved, start)
            day = datetime.timedelta(days=1)
            assert working_days_between(moved - day, start - day, tenant=tenant_a) == -n
        assert n == 0 or is_working_day(moved, tenant=tenant_a)


def test_the_current_tenant_is_the_default(tenant_a, tenant_b):
    own_day(tenant_a, D(2026, 10, 9), DayKind.HOLIDAY)
    with tenant_context(tenant_a):
        assert not is_working_day(D(2026, 10, 9))
        assert working_days_add(D(2026, 10, 8), 1) == D(2026, 10, 10)
    with tenant_context(tenant_b):
        assert is_working_day(D(2026, 10, 9))  # tenant A's own day is tenant A's
    # Another tenant asked for inside a tenant's context: its own calendar, read as itself.
    with tenant_context(tenant_b):
        assert not is_working_day(D(2026, 10, 9), tenant=tenant_a)


# --- years without a schedule ---------------------------------------------------------------------


def test_2027_is_missing_and_flagged_until_imported(tenant_a):
    assert year_coverage(2026, tenant=tenant_a) == YearCoverage.PACKAGE == "package"
    assert year_coverage(2027, tenant=tenant_a) == YearCoverage.MISSING == "missing"
    today = D(2026, 12, 7)
    warnings = calendar_warnings(tenant=tenant_a, today=today)
    assert [(w.year, w.starts_on, w.days_until, w.started) for w in warnings] == [
        (2027, D(2027, 1, 1), 25, False)]
    # Counted with the weekly rule meanwhile (never silently: the warning above).
    assert is_working_day(D(2027, 2, 8), tenant=tenant_a)
    import_2027(tenant_a)
    assert year_coverage(2027, tenant=tenant_a) == YearCoverage.OFFICIAL == "official"
    assert calendar_warnings(tenant=tenant_a, today=today) == []
    assert not is_working_day(D(2027, 2, 8), tenant=tenant_a)
    assert is_working_day(D(2027, 2, 20), tenant=tenant_a)  # its make-up Saturday


def test_warnings_look_ahead_and_behind(tenant_a):
    assert calendar_warnings(tenant=tenant_a, today=D(2026, 6, 15)) == []       # 200 days ahead
    assert [w.year for w in calendar_warnings(tenant=tenant_a, today=D(2026, 11, 2))] == [2027]
    assert calendar_warnings(tenant=tenant_a, today=D(2026, 11, 1), ahead_days=30) == []
    started = calendar_warnings(tenant=tenant_a, today=D(2027, 1, 4))
    assert [(w.year, w.days_until, w.started) for w in started] == [(2027, -3, True)]
    # A company that does not keep the public holidays has nothing to miss.
    settings(tenant_a, observes=False)
    assert calendar_warnings(tenant=tenant_a, today=D(2026, 12, 7)) == []


def test_a_year_the_company_entered_is_its_own_even_where_the_package_has_one(tenant_a):
    with tenant_context(tenant_a):
        entry_id = calendar_entry_save(day=D(2026, 10, 9), kind=DayKind.HOLIDAY, name="国庆节",
                                       source=EntrySource.OFFICIAL, year=2026).pk
    assert year_coverage(2026, tenant=tenant_a) == YearCoverage.OFFICIAL
    # The package's schedule of 2026 was stored with it: the other days off stay.
    assert not is_working_day(D(2026, 10, 9), tenant=tenant_a)
    assert not is_working_day(D(2026, 10, 1), tenant=tenant_a)
    assert is_working_day(D(2026, 10, 10), tenant=tenant_a)
    with tenant_context(tenant_a):
        from kam.calendar_models import CalendarEntry

        for pk in CalendarEntry.objects.filter(year=2026).values_list("pk", flat=True):
            calendar_entry_delete(entry_id=pk)
    assert entry_id
    assert year_coverage(2026, tenant=tenant_a) == YearCoverage.PACKAGE
    assert is_working_day(D(2026, 10, 9), tenant=tenant_a)


# --- speed and the cache --------------------------------------------------------------------------


def test_no_query_per_call_once_built(tenant_a):
    own_day(tenant_a, D(2026, 10, 9), DayKind.HOLIDAY)
    tenant = Tenant.objects.get(pk=tenant_a.pk)  # as the next request loads it
    with CaptureQueriesContext(connection) as first:
        is_working_day(D(2026, 10, 9), tenant=tenant)
    # Built once: the company's calendar settings, and its calendar days.
    assert len(first) == 2, [q["sql"] for q in first]
    with CaptureQueriesContext(connection) as later:
        for i in range(100):
            day = D(2026, 9, 1) + datetime.timedelta(days=i)
            is_working_day(day, tenant=tenant)
            working_days_add(day, 5, tenant=tenant)
            working_days_between(day, day + datetime.timedelta(days=40), tenant=tenant)
        year_coverage(2027, tenant=tenant)
        calendar_warnings(tenant=tenant, today=D(2026, 12, 7))
    assert len(later) == 0, [q["sql"] for q in later]


def test_a_change_is_seen_at_once(tenant_a):
    friday = D(2026, 10, 9)
    assert is_working_day(friday, tenant=tenant_a)
    stale = Tenant.objects.get(pk=tenant_a.pk)  # another process built it before the change
    assert is_working_day(friday, tenant=stale)
    entry_id = own_day(tenant_a, friday, DayKind.HOLIDAY)
    # The request that made the change: its tenant carries the new stamp.
    assert not is_working_day(friday, tenant=tenant_a)
    # The next request of any process loads the tenant, and with it the new stamp.
    assert not is_working_day(friday, tenant=Tenant.objects.get(pk=tenant_a.pk))
    with tenant_context(tenant_a):
        calendar_entry_delete(entry_id=entry_id)
    assert is_working_day(friday, tenant=Tenant.objects.get(pk=tenant_a.pk))
    settings(tenant_a, makeup=False)
    assert not is_working_day(D(2026, 10, 10), tenant=Tenant.objects.get(pk=tenant_a.pk))


def test_a_rolled_back_change_leaves_no_stale_calendar(tenant_a):
    from django.db import transaction

    friday = D(2026, 10, 9)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        own_day(tenant_a, friday, DayKind.HOLIDAY)
        assert not is_working_day(friday, tenant=tenant_a)  # built inside, with the new stamp
        raise Undo
    fresh = Tenant.objects.get(pk=tenant_a.pk)
    assert is_working_day(friday, tenant=fresh)
    # A later change gets a stamp of its own, never the rolled-back one.
    own_day(fresh, D(2026, 10, 16), DayKind.HOLIDAY)
    again = Tenant.objects.get(pk=tenant_a.pk)
    assert is_working_day(friday, tenant=again)
    assert not is_working_day(D(2026, 10, 16), tenant=again)


def test_no_working_weekday_is_refused(tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        settings(tenant_a, weekdays=[])
    assert "working_weekdays" in exc.value.message_dict
    assert calendar._calendar(tenant_a).weekdays == frozenset(MON_FRI)


def test_the_process_keeps_at_most_built_max_calendars(tenant_a, tenant_b, monkeypatch):
    """A worker that runs the night of thousands of companies keeps its memory flat: the least
    recently used company's calendar goes first, and is rebuilt (two queries) when it comes back."""
    from kam import calendar as kam_calendar
    from kam.services import tenant_create

    third = tenant_create(name="第三家公司", slug="third", default_language="zh-hans")
    monkeypatch.setattr(kam_calendar, "BUILT_MAX", 2)
    monkeypatch.setattr(kam_calendar, "_built", kam_calendar.OrderedDict())
    for tenant in (tenant_a, tenant_b, tenant_a, third):  # a used again: b is the oldest
        is_working_day(D(2026, 10, 9), tenant=tenant)
    assert list(kam_calendar._built) == [tenant_a.pk, third.pk]
    with CaptureQueriesContext(connection) as again:
        is_working_day(D(2026, 10, 9), tenant=tenant_b)
    assert len(again) == 2  # rebuilt
    assert list(kam_calendar._built) == [third.pk, tenant_b.pk]
