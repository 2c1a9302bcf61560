"""How pages write numbers and days for people: one seam for every page, template and timeline text.

- **Money** always carries its currency and is grouped by thousands: ``CNY 8,410,520.00``. Two
  kinds, each shown one way everywhere: the amount of a record (a transaction, a refund, a
  contract's value) to the cent, ``money``; a figure computed over a period (revenue and margin
  of the last 12 months, a month's total on the timeline, the tier criterion's revenue) in whole
  units, ``money_rounded`` — the same 12-month revenue reads the same in the key figures and in
  the tier breakdown of one page.
- **Counts** are grouped too (``1,250 orders``); **percentages** keep the house style ``12.3 %``.
- **Dates and times** are Django's named formats, set per language in ``kam/formats/``
  ("2 Dec 2026, 15:08" / "2026年12月2日 15:08"): templates use ``|date:"DATE_FORMAT"`` and
  ``"DATETIME_FORMAT"``, Python code ``day()``.
- **Relative days** (``relative_day``): days for short spans ("in 12 days", "12 天后"), calendar
  months then years for long ones ("4 months ago", "4 个月前"). Django's ``timesince`` wrote
  "9 months, 4 weeks" — in Chinese "9 月，4 周", read as September — and "1 周，5 日" for 12 days.

Grouping follows the active language's format (``kam/formats``), so the same call gives the same
grouping in both languages; nothing here reads the clock (``today`` is always passed in).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import npgettext, pgettext

# Below this many calendar months apart, a span is counted in days (a renewal "in 45 days" is
# more useful than "in 1 month"); from it on, in months, and from two years on, in years.
DAYS_UP_TO_MONTHS = 2
MONTHS_UP_TO_YEARS = 24

_UNIT = Decimal("1")


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def number(value: object, places: int = 0) -> str:
    """``value`` grouped by thousands with ``places`` decimals (rounded half up), as the active
    language writes it; "—" for nothing. A rounded -0 is 0."""
    amount = _decimal(value)
    if amount is None or not amount.is_finite():
        return "—"
    amount = amount.quantize(_UNIT.scaleb(-places), rounding=ROUND_HALF_UP)
    if amount.is_zero():
        amount = abs(amount)
    return formats.number_format(amount, places, use_l10n=True, force_grouping=True)


def money(amount: object, currency: str) -> str:
    """A record's amount with its currency, to the cent: ``CNY 8,410,520.00``."""
    return f"{currency} {number(amount, 2)}" if _decimal(amount) is not None else "—"


def money_rounded(amount: object, currency: str) -> str:
    """A figure computed over a period, in whole units: ``CNY 8,410,520``."""
    return f"{currency} {number(amount, 0)}" if _decimal(amount) is not None else "—"


def count(value: object) -> str:
    """A count grouped by thousands: ``1,250``."""
    return number(value, 0)


def percent(value: object, places: int = 1) -> str:
    """A percentage: ``12.3 %`` ("—" for none)."""
    return f"{number(value, places)} %" if _decimal(value) is not None else "—"


def day(value: datetime.date) -> str:
    """A date as the active language writes it: "2 Dec 2026" / "2026年12月2日"."""
    return formats.date_format(value, "DATE_FORMAT")


def months_between(earlier: datetime.date, later: datetime.date) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (``later`` ≥ ``earlier``): 31 Jan →
    28 Feb is 0, 15 Jan → 15 Mar is 2."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def relative_day(value: datetime.date, *, today: datetime.date) -> str:
    """``value`` seen from ``today``: "today", "tomorrow", "yesterday", "in 12 days", "45 days
    ago", "in 4 months", "2 years ago" — words a sentence can embed on either side ("ends %s" /
    "%s到期", "last order %s"). Days below two calendar months, whole months below two years,
    whole years beyond. ``today`` is the tenant's (``kam.clock.today``)."""
    if isinstance(value, datetime.datetime):
        raise TypeError("relative_day takes a date: the tenant's date of a moment (kam.clock.local_date)")
    days = (value - today).days
    if days == 0:
        return pgettext("relative day", "today")
    if days == 1:
        return pgettext("relative day", "tomorrow")
    if days == -1:
        return pgettext("relative day", "yesterday")
    future = days > 0
    months = months_between(*sorted((value, today)))
    if months < DAYS_UP_TO_MONTHS:
        n = abs(days)
        text = (npgettext("relative day", "in %(count)s day", "in %(count)s days", n) if future
                else npgettext("relative day", "%(count)s day ago", "%(count)s days ago", n))
    elif months < MONTHS_UP_TO_YEARS:
        n = months
        text = (npgettext("relative day", "in %(count)s month", "in %(count)s months", n) if future
                else npgettext("relative day", "%(count)s month ago", "%(count)s months ago", n))
    else:
        n = months // 12
        text = (npgettext("relative day", "in %(count)s year", "in %(count)s years", n) if future
                else npgettext("relative day", "%(count)s year ago", "%(count)s years ago", n))
    return text % {"count": count(n)}
