"""kam.l10n and kam/formats: money with its currency and thousands separators, counts, dates in one
format per language (an English reader anywhere gets "2 Dec 2026"), and relative days in days for
short spans and months or years for long ones, in both languages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import formats, translation

from kam import clock, l10n

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2026, 12, 2, 15, 8)  # naive: rendered as is


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_money_and_counts_are_grouped_by_thousands_in_both_languages(lang):
    with translation.override(lang):
        assert l10n.money(Decimal("8410520"), "CNY") == "CNY 8,410,520.00"
        assert l10n.money(Decimal("-1234.5"), "USD") == "USD -1,234.50"
        assert l10n.money_rounded(Decimal("8410520.49"), "CNY") == "CNY 8,410,520"
        assert l10n.money_rounded(Decimal("0.5"), "CNY") == "CNY 1"  # half up
        assert l10n.money_rounded(Decimal("-0.4"), "CNY") == "CNY 0"  # never "-0"
        assert l10n.money(None, "CNY") == "—"
        assert l10n.count(1250000) == "1,250,000"
        assert l10n.percent(Decimal("12.345")) == "12.3 %"
        assert l10n.percent(Decimal("1234.5"), 2) == "1,234.50 %"
        rendered = Template("{% load kam_l10n %}{{ a|money:'CNY' }} / {{ a|money_rounded:'CNY' }}"
                            " / {{ n|count }}").render(Context({"a": Decimal("8410520"), "n": 12345}))
        assert rendered == "CNY 8,410,520.00 / CNY 8,410,520 / 12,345"


@pytest.mark.parametrize(("lang", "day", "moment"), [
    # One English format for every English reader: the month in words, a 24-hour clock.
    ("en", "2 Dec 2026", "2 Dec 2026, 15:08"),
    ("zh-hans", "2026年12月2日", "2026年12月2日 15:08"),
])
def test_one_date_format_per_language(lang, day, moment):
    with translation.override(lang):
        for name in ("DATE_FORMAT", "SHORT_DATE_FORMAT"):
            assert formats.date_format(MOMENT.date(), name) == day
        for name in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"):
            assert formats.date_format(MOMENT, name) == moment
        assert l10n.day(MOMENT.date()) == day
        # A sentence that ends after a moment ends with one full stop ("… p.m.." before).
        sentence = Template('{% load i18n %}{% blocktranslate with when=m|date:"SHORT_DATETIME_FORMAT" %}'
                            'Figures: data as of {{ when }}.{% endblocktranslate %}'
                            ).render(Context({"m": MOMENT}))
        assert ".." not in sentence and "。。" not in sentence


# (days from today, English, Chinese)
RELATIVE = [
    (0, "today", "今天"),
    (1, "tomorrow", "明天"),
    (-1, "yesterday", "昨天"),
    (12, "in 12 days", "12 天后"),           # Django: "1 week, 5 days" / "1 周，5 日"
    (-12, "12 days ago", "12 天前"),
    (45, "in 45 days", "45 天后"),
    (-59, "59 days ago", "59 天前"),
    (-61, "2 months ago", "2 个月前"),
    (-143, "4 months ago", "4 个月前"),
    (-299, "9 months ago", "9 个月前"),     # Django: "9 months, 4 weeks" / "9 月，4 周" (September?)
    (200, "in 6 months", "6 个月后"),
    (-730, "2 years ago", "2 年前"),
    (-1200, "3 years ago", "3 年前"),
]


@pytest.mark.clock("2026-06-15T02:00:00+00:00")  # 15 June 2026, 10:00 in Shanghai
@pytest.mark.parametrize(("days", "english", "chinese"), RELATIVE)
def test_relative_days_in_days_then_months_then_years(frozen_clock, tenant_a, days, english,
                                                      chinese):
    today = clock.today(tenant_a)
    assert today == datetime.date(2026, 6, 15)
    day = today + datetime.timedelta(days=days)
    with translation.override("en"):
        assert l10n.relative_day(day, today=today) == english
    with translation.override("zh-hans"):
        assert l10n.relative_day(day, today=today) == chinese


def test_months_are_calendar_months():
    assert l10n.months_between(datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)) == 0
    assert l10n.months_between(datetime.date(2026, 1, 15), datetime.date(2026, 3, 15)) == 2
    assert l10n.months_between(datetime.date(2026, 1, 15), datetime.date(2026, 3, 14)) == 1
    with pytest.raises(TypeError):  # a moment is first made the tenant's date (kam.clock)
        l10n.relative_day(MOMENT, today=MOMENT.date())
