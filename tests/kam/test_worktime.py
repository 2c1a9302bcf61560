"""kam.worktime on the real dates of 2026's official schedule (chinesecalendar 1.11; see
tests/kam/test_calendar.py), hours 09:00–18:00 with lunch 12:00–13:00 in Asia/Shanghai unless a
test says otherwise — eight working hours a day:

- Mid-Autumn: Friday 25 September off (26–27 are the weekend).
- National Day: 1–7 October off; Thursday 8 and Friday 9 October are working days, and so is
  Saturday 10 October (a make-up day, 调休); Sunday 11 is off.
- Spring Festival: 15–23 February off; Saturdays 14 and 28 February are make-up working days.

Every expected value is counted by hand in the comment beside it. Nothing here reads "now"."""

from __future__ import annotations

import datetime
import itertools
import random
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam import clock
from kam.calendar import is_working_day
from kam.calendar_models import DayKind, EntrySource
from kam.calendar_services import calendar_entry_save, calendar_settings_update
from kam.models import Tenant
from kam.services import tenant_create
from kam.tenancy import tenant_context
from kam.worktime import working_intervals, working_seconds_between, working_time_add

pytestmark = pytest.mark.django_db

T = datetime.time
SHANGHAI = clock.zone("Asia/Shanghai")
BERLIN = clock.zone("Europe/Berlin")
UTC = datetime.UTC
HOUR = 3600
MON_FRI = [0, 1, 2, 3, 4]
NINE_TO_SIX = (T(9), T(18))
LUNCH = (T(12), T(13))


def at(month: int, day: int, hour: int, minute: int = 0, *, zone: ZoneInfo = SHANGHAI,
       year: int = 2026) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=zone)


def settings(tenant: Tenant, *, weekdays=MON_FRI, hours=NINE_TO_SIX, lunch=LUNCH,
             observes=True, makeup=True) -> None:
    with tenant_context(tenant):
        calendar_settings_update(working_weekdays=weekdays, day_starts=hours[0],
                                 day_ends=hours[1], break_starts=lunch[0], break_ends=lunch[1],
                                 observes_statutory_holidays=observes, works_makeup_days=makeup)


def fresh(tenant: Tenant) -> Tenant:
    """The tenant as the next request loads it."""
    return Tenant.objects.get(pk=tenant.pk)


# --- National Day 2026 ----------------------------------------------------------------------------


def test_24_working_hours_from_the_eve_of_national_day(tenant_a):
    start = at(9, 30, 17, 30)  # Wednesday
    deadline = working_time_add(start, 24 * HOUR, tenant=tenant_a)
    # 0.5 h on 30 Sep, 8 h on Thu 8 Oct, 8 h on Fri 9 Oct, 7.5 h on the make-up Saturday 10 Oct
    # (09:00–12:00 and 13:00–17:30).
    assert deadline == at(10, 10, 17, 30)
    assert deadline.tzinfo == SHANGHAI and deadline.utcoffset() == datetime.timedelta(hours=8)
    assert working_seconds_between(start, deadline, tenant=tenant_a) == 24 * HOUR
    assert working_intervals(start, deadline, tenant=tenant_a) == [
        (at(9, 30, 17, 30), at(9, 30, 18)),
        (at(10, 8, 9), at(10, 8, 12)), (at(10, 8, 13), at(10, 8, 18)),
        (at(10, 9, 9), at(10, 9, 12)), (at(10, 9, 13), at(10, 9, 18)),
        (at(10, 10, 9), at(10, 10, 12)), (at(10, 10, 13), at(10, 10, 17, 30)),
    ]
    # The holiday itself holds no working time at all.
    assert working_seconds_between(at(9, 30, 18), at(10, 8, 9), tenant=tenant_a) == 0
    assert working_intervals(at(10, 1, 0), at(10, 8, 0), tenant=tenant_a) == []


def test_national_day_without_the_make_up_days(tenant_a):
    settings(tenant_a, makeup=False)
    start = at(9, 30, 17, 30)
    # 16.5 h by Friday 9 October 18:00; Saturday 10 is a day off: 7.5 h on Monday 12 October.
    assert working_time_add(start, 24 * HOUR, tenant=tenant_a) == at(10, 12, 17, 30)
    assert working_seconds_between(start, at(10, 12, 17, 30), tenant=tenant_a) == 24 * HOUR
    assert working_seconds_between(at(10, 10, 0), at(10, 11, 0), tenant=tenant_a) == 0


def test_mid_autumn(tenant_a):
    # Thursday 24 September 16:00 + 3 h: 2 h that day; Friday 25 is off, then the weekend;
    # 1 h on Monday 28 September.
    assert working_time_add(at(9, 24, 16), 3 * HOUR, tenant=tenant_a) == at(9, 28, 10)


# --- Spring Festival 2026 --------------------------------------------------------------------------


def test_across_spring_festival(tenant_a):
    start = at(2, 13, 17)  # Friday
    # 1 h on 13 February, 8 h on the make-up Saturday 14, nine days off, 1 h on Tuesday 24.
    assert working_time_add(start, 10 * HOUR, tenant=tenant_a) == at(2, 24, 10)
    assert working_time_add(at(2, 14, 15), 4 * HOUR, tenant=tenant_a) == at(2, 24, 10)
    # 9 h by Saturday 14 at 18:00 exactly: it stays there, not on Tuesday 24 at 09:00.
    assert working_time_add(start, 9 * HOUR, tenant=tenant_a) == at(2, 14, 18)
    assert working_seconds_between(start, at(2, 24, 10), tenant=tenant_a) == 10 * HOUR
    # 13 Feb to 28 Feb: 13, 14 (make-up), 24, 25, 26, 27 and 28 (make-up): 7 days of 8 h.
    assert working_seconds_between(at(2, 13, 0), at(3, 1, 0), tenant=tenant_a) == 56 * HOUR
    assert working_seconds_between(at(2, 14, 18), at(2, 24, 9), tenant=tenant_a) == 0


# --- the lunch break and the edges of the day -------------------------------------------------------


def test_the_lunch_break_is_not_counted(tenant_a):
    thursday = 15  # 15 October 2026, an ordinary Thursday
    assert working_time_add(at(10, thursday, 11, 30), HOUR, tenant=tenant_a) == at(10, 15, 13, 30)
    # Ends exactly where the break starts: stays at 12:00.
    assert working_time_add(at(10, thursday, 11), HOUR, tenant=tenant_a) == at(10, 15, 12)
    # Received during lunch: counted from 13:00.
    assert working_time_add(at(10, thursday, 12, 20), HOUR, tenant=tenant_a) == at(10, 15, 14)
    assert working_seconds_between(at(10, 15, 11, 30), at(10, 15, 13, 30), tenant=tenant_a) == HOUR
    assert working_seconds_between(at(10, 15, 12, 10), at(10, 15, 12, 50), tenant=tenant_a) == 0
    assert working_intervals(at(10, 15, 11, 30), at(10, 15, 13, 30), tenant=tenant_a) == [
        (at(10, 15, 11, 30), at(10, 15, 12)), (at(10, 15, 13), at(10, 15, 13, 30))]


def test_the_end_of_the_day_and_the_weekend(tenant_a):
    # 17:30 + 30 min is 18:00 that day, not 09:00 the next.
    assert working_time_add(at(10, 15, 17, 30), 30 * 60, tenant=tenant_a) == at(10, 15, 18)
    assert working_time_add(at(10, 15, 17, 30), 31 * 60, tenant=tenant_a) == at(10, 16, 9, 1)
    # Received at 18:00 (no longer working time): the clock starts Friday 09:00.
    assert working_time_add(at(10, 15, 18), HOUR, tenant=tenant_a) == at(10, 16, 10)
    # Received on Sunday 18 October: the clock starts Monday 19 at 09:00.
    assert working_time_add(at(10, 18, 10), HOUR, tenant=tenant_a) == at(10, 19, 10)
    # Friday 16:00 + 4 h: 2 h Friday, then Monday 09:00–11:00.
    assert working_time_add(at(10, 16, 16), 4 * HOUR, tenant=tenant_a) == at(10, 19, 11)
    assert working_seconds_between(at(10, 16, 16), at(10, 19, 11), tenant=tenant_a) == 4 * HOUR


def test_zero_seconds(tenant_a):
    # In working time: start itself. Otherwise: the next working moment, where the clock starts.
    assert working_time_add(at(10, 15, 10, 15), 0, tenant=tenant_a) == at(10, 15, 10, 15)
    assert working_time_add(at(10, 15, 9), 0, tenant=tenant_a) == at(10, 15, 9)
    assert working_time_add(at(10, 15, 12), 0, tenant=tenant_a) == at(10, 15, 13)
    assert working_time_add(at(10, 15, 18), 0, tenant=tenant_a) == at(10, 16, 9)
    assert working_time_add(at(10, 15, 7), 0, tenant=tenant_a) == at(10, 15, 9)
    assert working_time_add(at(9, 30, 18), 0, tenant=tenant_a) == at(10, 8, 9)


def test_empty_and_backward_spans_and_bad_input(tenant_a):
    start = at(10, 15, 10)
    assert working_seconds_between(start, start, tenant=tenant_a) == 0
    assert working_seconds_between(start, at(10, 14, 10), tenant=tenant_a) == 0
    assert working_intervals(start, at(10, 14, 10), tenant=tenant_a) == []
    with pytest.raises(ValueError, match="0 or more"):
        working_time_add(start, -1, tenant=tenant_a)
    with pytest.raises(ValueError, match="aware"):
        working_time_add(datetime.datetime(2026, 10, 15, 10), 60, tenant=tenant_a)
    with pytest.raises(ValueError, match="aware"):
        working_seconds_between(start, datetime.datetime(2026, 10, 16, 10), tenant=tenant_a)


def test_a_company_without_a_lunch_break(tenant_a):
    settings(tenant_a, lunch=(None, None))
    assert working_time_add(at(10, 15, 11, 30), HOUR, tenant=tenant_a) == at(10, 15, 12, 30)
    assert working_time_add(at(10, 15, 12, 20), 0, tenant=tenant_a) == at(10, 15, 12, 20)
    # Nine working hours a day: 0.5 h on 30 Sep, 9 h on 8 and 9 Oct, 5.5 h on Saturday 10 Oct.
    start = at(9, 30, 17, 30)
    assert working_time_add(start, 24 * HOUR, tenant=tenant_a) == at(10, 10, 14, 30)
    assert working_intervals(start, at(10, 10, 14, 30), tenant=tenant_a) == [
        (at(9, 30, 17, 30), at(9, 30, 18)), (at(10, 8, 9), at(10, 8, 18)),
        (at(10, 9, 9), at(10, 9, 18)), (at(10, 10, 9), at(10, 10, 14, 30))]


def test_other_hours_and_break(tenant_a):
    settings(tenant_a, hours=(T(8, 30), T(17, 30)), lunch=(T(11, 45), T(13, 15)))
    # 7.5 h a day: 08:30–11:45 (3.25 h) and 13:15–17:30 (4.25 h).
    assert working_time_add(at(10, 15, 11), HOUR, tenant=tenant_a) == at(10, 15, 13, 30)
    assert working_seconds_between(at(10, 12, 0), at(10, 17, 0), tenant=tenant_a) == 5 * 7.5 * HOUR


# --- time zones ------------------------------------------------------------------------------------


def test_an_instant_given_in_another_zone(tenant_a):
    new_york = clock.zone("America/New_York")
    start = datetime.datetime(2026, 9, 30, 5, 30, tzinfo=new_york)  # 17:30 in Shanghai
    deadline = working_time_add(start, 24 * HOUR, tenant=tenant_a)
    assert deadline == at(10, 10, 17, 30) and deadline.tzinfo == SHANGHAI
    utc_start = datetime.datetime(2026, 9, 30, 9, 30, tzinfo=UTC)
    assert working_seconds_between(utc_start, deadline.astimezone(UTC), tenant=tenant_a) == 24 * HOUR
    intervals = working_intervals(utc_start, deadline.astimezone(new_york), tenant=tenant_a)
    assert intervals[0] == (at(9, 30, 17, 30), at(9, 30, 18))
    assert all(a.tzinfo == SHANGHAI and b.tzinfo == SHANGHAI for a, b in intervals)
    # 09:00 in Shanghai is 01:00 UTC: a UTC date is not the tenant's date.
    assert working_time_add(datetime.datetime(2026, 10, 15, 16, tzinfo=UTC), 0,
                            tenant=tenant_a) == at(10, 16, 9)


@pytest.fixture
def berlin(db) -> Tenant:
    """A company in Berlin: Monday to Friday, 09:00–18:00 with lunch 12:00–13:00, no Chinese
    public holidays. Summer time 2026: from Sunday 29 March (02:00 → 03:00) to Sunday 25 October
    (03:00 → 02:00)."""
    tenant = tenant_create(name="Rheinwerk", slug="rheinwerk", time_zone="Europe/Berlin",
                           default_language="en")
    settings(tenant, observes=False)
    return tenant


def test_a_company_in_berlin_across_the_change_to_summer_time(berlin):
    start = at(3, 27, 17, zone=BERLIN)  # Friday 17:00 CET, 16:00 UTC
    deadline = working_time_add(start, 2 * HOUR, tenant=berlin)
    assert deadline == at(3, 30, 10, zone=BERLIN)  # Monday 10:00 CEST
    assert deadline.tzinfo == BERLIN and deadline.utcoffset() == datetime.timedelta(hours=2)
    assert deadline.astimezone(UTC) == datetime.datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert working_seconds_between(start, deadline, tenant=berlin) == 2 * HOUR
    # The week before and after: 5 days of 8 h each, whatever the clocks did on the Sunday.
    assert working_seconds_between(at(3, 23, 0, zone=BERLIN), at(4, 4, 0, zone=BERLIN),
                                   tenant=berlin) == 10 * 8 * HOUR
    # Ascension Day is no Chinese holiday; 1 October is a working day in Berlin.
    assert working_time_add(at(9, 30, 17, 30, zone=BERLIN), HOUR,
                            tenant=berlin) == at(10, 1, 9, 30, zone=BERLIN)


def test_hours_that_span_the_change_of_the_clocks(berlin):
    """A company that works 01:00–04:00 every day of the week: on the spring Sunday its period is
    two real hours long (02:00–03:00 does not exist), on the autumn Sunday four."""
    settings(berlin, weekdays=list(range(7)), hours=(T(1), T(4)), lunch=(None, None),
             observes=False)
    spring, autumn = 29, 25
    assert working_intervals(at(3, spring, 0, zone=BERLIN), at(3, spring, 23, zone=BERLIN),
                             tenant=berlin) == [(at(3, spring, 1, zone=BERLIN),
                                                 at(3, spring, 4, zone=BERLIN))]
    assert working_seconds_between(at(3, 28, 0, zone=BERLIN), at(3, 31, 0, zone=BERLIN),
                                   tenant=berlin) == (3 + 2 + 3) * HOUR
    assert working_seconds_between(at(10, 24, 0, zone=BERLIN), at(10, 27, 0, zone=BERLIN),
                                   tenant=berlin) == (3 + 4 + 3) * HOUR
    # A whole year: 365 days of 3 h, one hour less in spring, one more in autumn.
    assert working_seconds_between(at(1, 1, 0, zone=BERLIN), at(1, 1, 0, zone=BERLIN, year=2027),
                                   tenant=berlin) == 365 * 3 * HOUR
    # Two hours from 01:00 on the spring Sunday end with its period, at 04:00 summer time.
    assert working_time_add(at(3, spring, 1, zone=BERLIN), 2 * HOUR,
                            tenant=berlin) == at(3, spring, 4, zone=BERLIN)
    assert working_time_add(at(3, spring, 1, zone=BERLIN), 150 * 60,
                            tenant=berlin) == at(3, 30, 1, 30, zone=BERLIN)
    # 3.5 h from 01:00 on the autumn Sunday: 02:30 UTC, which is 03:30 winter time, that day.
    deadline = working_time_add(at(10, autumn, 1, zone=BERLIN), 210 * 60, tenant=berlin)
    assert deadline.astimezone(UTC) == datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert deadline.replace(tzinfo=None) == datetime.datetime(2026, 10, 25, 3, 30)
    # Two weeks and half an hour from Sunday 11 October after work: 13 days of 3 h, then 3.5 h of
    # the four-hour autumn Sunday. Whole weeks are skipped arithmetically; the two weeks would
    # hold 43 h (that Sunday is longer), more than is left, so the jump is halved.
    deadline = working_time_add(at(10, 11, 4, zone=BERLIN), 42 * HOUR + 1800, tenant=berlin)
    assert deadline.astimezone(UTC) == datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    # Months at once, through both changes: 300 days of 3 h plus 5 h left.
    start = at(3, 1, 1, zone=BERLIN)
    many = working_time_add(start, (300 * 3 + 5) * HOUR, tenant=berlin)
    assert working_seconds_between(start, many, tenant=berlin) == (300 * 3 + 5) * HOUR


# --- the company's own days and years without a schedule ----------------------------------------------


def test_the_company_s_own_days_count(tenant_a):
    with tenant_context(tenant_a):
        calendar_entry_save(day=datetime.date(2026, 10, 16), kind=DayKind.HOLIDAY, name="厂庆",
                            source=EntrySource.COMPANY, year=None)
        calendar_entry_save(day=datetime.date(2026, 10, 17), kind=DayKind.WORKING, name="盘点",
                            source=EntrySource.COMPANY, year=None)
    tenant = fresh(tenant_a)
    # Thursday 15 at 17:00 + 2 h: 1 h Thursday, Friday 16 off, Saturday 17 worked: 10:00.
    assert working_time_add(at(10, 15, 17), 2 * HOUR, tenant=tenant) == at(10, 17, 10)


def test_a_year_without_a_schedule_is_counted_by_the_week_and_logged(tenant_a, caplog):
    # 2027 has no official schedule: Monday 8 February 2027 (likely a Spring Festival day) counts.
    start = at(2, 5, 17, year=2027)  # Friday
    with caplog.at_level("WARNING", logger="kam.calendar"):
        assert working_time_add(start, 2 * HOUR, tenant=tenant_a) == at(2, 8, 10, year=2027)
    assert "2027 has no official holiday schedule" in caplog.text


# --- the current tenant, the cache ---------------------------------------------------------------------


def test_the_current_tenant_is_the_default(tenant_a, tenant_b):
    settings(tenant_b, lunch=(None, None))
    with tenant_context(tenant_a):
        assert working_time_add(at(10, 15, 11, 30), HOUR) == at(10, 15, 13, 30)
    with tenant_context(tenant_b):
        assert working_time_add(at(10, 15, 11, 30), HOUR) == at(10, 15, 12, 30)


def test_no_query_per_call_once_built(tenant_a):
    settings(tenant_a)
    tenant = fresh(tenant_a)
    with CaptureQueriesContext(connection) as first:
        working_time_add(at(10, 15, 10), HOUR, tenant=tenant)
    assert len(first) == 2  # the calendar settings and the calendar days (kam.calendar)
    with CaptureQueriesContext(connection) as later:
        for i in range(50):
            start = at(9, 1, 10) + datetime.timedelta(hours=7 * i)
            end = working_time_add(start, 40 * HOUR * i, tenant=tenant)
            working_seconds_between(start, end, tenant=tenant)
            working_intervals(start, start + datetime.timedelta(days=3), tenant=tenant)
    assert len(later) == 0, [q["sql"] for q in later]


def test_a_change_of_the_break_is_used_at_once(tenant_a):
    assert working_time_add(at(10, 15, 11, 30), HOUR, tenant=fresh(tenant_a)) == at(10, 15, 13, 30)
    settings(tenant_a, lunch=(T(11, 45), T(12, 15)))
    # 15 min before the break, 45 after it.
    assert working_time_add(at(10, 15, 11, 30), HOUR, tenant=fresh(tenant_a)) == at(10, 15, 13)


# --- the round trip, and a day-by-day count to agree with ---------------------------------------------


def reference_seconds(tenant: Tenant, start: datetime.datetime, end: datetime.datetime,
                      periods: list[tuple[datetime.time, datetime.time]]) -> int:
    """Working seconds counted the slow way: every day, every period, in UTC."""
    zone = clock.zone(tenant.time_zone)
    day = start.astimezone(zone).date()
    total = datetime.timedelta(0)
    while day <= end.astimezone(zone).date():
        if is_working_day(day, tenant=tenant):
            for a, b in periods:
                low = max(datetime.datetime.combine(day, a, tzinfo=zone).astimezone(UTC), start)
                high = min(datetime.datetime.combine(day, b, tzinfo=zone).astimezone(UTC), end)
                total += max(high - low, datetime.timedelta(0))
        day += datetime.timedelta(days=1)
    return int(total.total_seconds())


@pytest.mark.parametrize("case", ["shanghai", "shanghai no make-up days", "berlin",
                                  "berlin small hours"])
def test_round_trip_and_the_slow_count_agree(tenant_a, berlin, case):
    """For many starts and amounts: the deadline is in working time (or ends a period), exactly
    ``n`` working seconds after the start, and no earlier instant is; and the arithmetic count
    agrees with a day-by-day one."""
    lunch = [(T(9), T(12)), (T(13), T(18))]
    if case == "shanghai":
        tenant, periods = tenant_a, lunch
    elif case == "shanghai no make-up days":
        settings(tenant_a, weekdays=[0, 2, 4, 5], makeup=False)
        tenant, periods = tenant_a, lunch
    elif case == "berlin":
        tenant, periods = berlin, lunch
    else:
        settings(berlin, weekdays=[0, 2, 6], hours=(T(1), T(4)), lunch=(T(2, 15), T(2, 45)),
                 observes=False)
        tenant, periods = berlin, [(T(1), T(2, 15)), (T(2, 45), T(4))]
    tenant = fresh(tenant)
    zone = clock.zone(tenant.time_zone)
    rng = random.Random(14)
    for _ in range(300):
        start = (datetime.datetime(2025, 12, 1, tzinfo=zone)
                 + datetime.timedelta(minutes=rng.randrange(400 * 24 * 60)))
        n = rng.choice([0, 1, 60, 30 * 60, HOUR, 3 * HOUR, 8 * HOUR, 9 * HOUR,
                        rng.randrange(10 * HOUR), rng.randrange(400 * HOUR),
                        rng.randrange(2000 * HOUR)])
        deadline = working_time_add(start, n, tenant=tenant)
        assert deadline.tzinfo == zone
        assert working_seconds_between(start, deadline, tenant=tenant) == n, (start, n)
        assert reference_seconds(tenant, start.astimezone(UTC), deadline.astimezone(UTC),
                                 periods) == n, (start, n)
        if n:  # the earliest such instant: the second before it is still working time
            before = deadline - datetime.timedelta(seconds=1)
            assert working_seconds_between(start, before, tenant=tenant) == n - 1, (start, n)
        else:  # zero: start, or where the clock starts
            assert deadline >= start
        end = start + datetime.timedelta(minutes=rng.randrange(60 * 24 * 120))
        expected = reference_seconds(tenant, start.astimezone(UTC), end.astimezone(UTC), periods)
        assert working_seconds_between(start, end, tenant=tenant) == expected, (start, end)
        if end - start < datetime.timedelta(days=20):
            intervals = working_intervals(start, end, tenant=tenant)
            # Subtracted in UTC: Python subtracts two datetimes of one zone on their wall clocks.
            assert sum((b.astimezone(UTC) - a.astimezone(UTC) for a, b in intervals),
                       datetime.timedelta(0)) == datetime.timedelta(seconds=expected)
            assert all(a < b for a, b in intervals)
            assert all(x[1] <= y[0] for x, y in itertools.pairwise(intervals))
