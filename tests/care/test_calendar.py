"""Dates of care occasions (care/calendar.py). Every expected date is checked against published
calendars, not against the package: the State Council's holiday notices (国务院办公厅关于20xx年部分
节假日安排的通知: 春节 2024-02-10, 2025-01-29, 2026-02-17, 2027-02-06 (除夕 2027-02-05, a year
without 腊月三十); 端午 2024-06-10, 2025-05-31, 2026-06-19; 中秋 2024-09-17, 2025-10-06,
2026-09-25) and the Purple Mountain Observatory's almanac as printed in Chinese wall calendars
(2023 has 闰二月 from 2023-03-22; 2025 has 闰六月 from 2025-07-25 (29 days), 七月初一 2025-08-23;
重阳 2023-10-23, 2025-10-29; 元宵 2026-03-03)."""

from __future__ import annotations

import datetime

import pytest

from care.calendar import lunar_date, lunar_hits, lunar_of, solar_date, solar_hits

D = datetime.date


@pytest.mark.parametrize(("year", "month", "day", "expected"), [
    (2024, 1, 1, D(2024, 2, 10)), (2025, 1, 1, D(2025, 1, 29)), (2026, 1, 1, D(2026, 2, 17)),
    (2027, 1, 1, D(2027, 2, 6)),  # 春节
    (2024, 5, 5, D(2024, 6, 10)), (2025, 5, 5, D(2025, 5, 31)), (2026, 5, 5, D(2026, 6, 19)),
    (2024, 8, 15, D(2024, 9, 17)), (2025, 8, 15, D(2025, 10, 6)), (2026, 8, 15, D(2026, 9, 25)),
    (2023, 9, 9, D(2023, 10, 23)), (2025, 9, 9, D(2025, 10, 29)), (2026, 1, 15, D(2026, 3, 3)),
])
def test_lunar_dates_of_festivals(year, month, day, expected):
    assert lunar_date(year, month, day) == expected


def test_a_leap_month_birthday_falls_in_the_leap_month_when_the_year_has_it():
    # 2025 has 闰六月 from 25 July: 闰六月十五 is 8 August; the ordinary 六月 before it has 30
    # days (六月初一 25 June), so an ordinary 六月十五 is 9 July.
    assert lunar_date(2025, 6, 15, leap=True) == D(2025, 8, 8)
    assert lunar_date(2025, 6, 15) == D(2025, 7, 9)
    # 2026 has no leap month: the same birthday is the ordinary 六月十五 (端午 2026-06-19 is
    # 五月初五, so 五月初一 is 15 June; 五月 has 29 days: 六月初一 14 July, 十五 28 July).
    assert lunar_date(2026, 6, 15, leap=True) == D(2026, 7, 28)
    assert lunar_date(2026, 6, 15) == D(2026, 7, 28)
    # 2023 has 闰二月 (from 22 March), not 闰六月: a 闰六月 birthday is in the ordinary 六月.
    assert lunar_date(2023, 6, 15, leap=True) == lunar_date(2023, 6, 15)


def test_day_30_in_a_month_of_29_days_falls_on_the_29th():
    # 2025's 闰六月 has 29 days (七月初一 is 23 August): 闰六月三十 falls on 闰六月廿九, 22 August.
    assert lunar_date(2025, 6, 30, leap=True) == D(2025, 8, 22)
    # 腊月 of lunar 2026 has 29 days: 除夕 is 廿九, 5 February 2027 (春节 6 February).
    assert lunar_date(2026, 12, 30) == D(2027, 2, 5)
    assert lunar_date(2026, 12, 29) == D(2027, 2, 5)


def test_29_february_falls_on_28_february_in_common_years():
    assert solar_date(2027, 2, 29) == D(2027, 2, 28)
    assert solar_date(2028, 2, 29) == D(2028, 2, 29)


def test_lunar_of_a_solar_day():
    day = lunar_of(D(2025, 7, 25))
    assert (day.year, day.month, day.day, day.leap) == (2025, 6, 1, True)
    # 1 February 2027 is still in lunar 2026 (春节 is 6 February 2027)
    assert lunar_of(D(2027, 2, 1)).year == 2026


def test_lunar_hits_follow_the_rules_of_lunar_date():
    """Every (month, day, leap) and lunar year a window maps to a day agrees with lunar_date, and
    every birthday of a whole lunar year is hit exactly once."""
    start, end = D(2025, 1, 29), D(2026, 2, 16)  # lunar 2025: 正月初一 to 腊月廿九/三十
    hits = lunar_hits(start, end)
    for hit in hits:
        assert lunar_date(hit.year, hit.month, hit.day, leap=bool(hit.leap)) == hit.on
    for month in range(1, 13):
        for number in range(1, 31):
            for leap in (False, True):
                matching = [h for h in hits if (h.month, h.day) == (month, number)
                            and h.leap in (None, int(leap))]
                assert len(matching) == 1, (month, number, leap)
                assert matching[0].on == lunar_date(2025, month, number, leap=leap)


def test_solar_hits_of_28_february_in_a_common_year():
    hits = solar_hits(D(2027, 2, 27), D(2027, 3, 1))
    assert [(h.month, h.day, h.on) for h in hits] == [
        (2, 27, D(2027, 2, 27)), (2, 28, D(2027, 2, 28)), (2, 29, D(2027, 2, 28)),
        (3, 1, D(2027, 3, 1))]
    assert [(h.month, h.day) for h in solar_hits(D(2028, 2, 28), D(2028, 2, 29))] == [
        (2, 28), (2, 29)]
