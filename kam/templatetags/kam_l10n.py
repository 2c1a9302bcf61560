"""Template filters of ``kam.l10n``, the one way pages write money, counts, percentages and
relative days::

    {% load kam_l10n %}
    {{ tx.amount|money:currency }}             CNY 1,200.00   (a record's amount)
    {{ figures.revenue_12m|money_rounded:currency }}   CNY 8,410,520  (a figure over a period)
    {{ figures.order_count|count }}            1,250
    {{ figures.share_pct|percent }}            12.3 %
    {{ contract.end_date|relative_day:today }} in 12 days / 12 天后
"""

from __future__ import annotations

import datetime

from django import template

from kam import l10n

register = template.Library()


@register.filter
def money(value: object, currency: str) -> str:
    return l10n.money(value, currency)


@register.filter
def money_rounded(value: object, currency: str) -> str:
    return l10n.money_rounded(value, currency)


@register.filter
def count(value: object) -> str:
    return l10n.count(value)


@register.filter
def percent(value: object, places: int = 1) -> str:
    return l10n.percent(value, int(places))


@register.filter
def relative_day(value: datetime.date | None, today: datetime.date) -> str:
    return "" if value is None else l10n.relative_day(value, today=today)
