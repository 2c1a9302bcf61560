"""Reads of the derived figures: an account's, ready to show."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist

from accounts.account.models import Account
from accounts.figures.models import AccountFigures


@dataclass(frozen=True)
class KeyFigures:
    """AccountFigures ready to show: fractions turned into percentages."""

    revenue_12m: Decimal
    revenue_prev_12m: Decimal
    growth_pct: Decimal | None  # None: no revenue in the 12 months before
    margin_12m: Decimal
    margin_pct: Decimal | None  # None: no revenue to compare the margin with
    order_count_12m: int
    order_count: int
    last_order_date: datetime.date | None
    avg_order_interval_days: Decimal | None
    share_pct: Decimal
    computed_at: datetime.datetime


def _pct(fraction: Decimal) -> Decimal:
    return (fraction * 100).quantize(Decimal("0.1"))


def key_figures(account: Account) -> KeyFigures | None:
    """The account's figures, or None when the nightly job has not computed them yet. No query
    when the account came with its figures joined (``accounts.profile.selectors``)."""
    try:
        figures: AccountFigures | None = account.figures
    except ObjectDoesNotExist:
        figures = None
    if figures is None or figures.computed_at is None:
        return None
    margin_pct = (_pct(figures.margin_12m / figures.revenue_12m)
                  if figures.revenue_12m and figures.margin_12m is not None else None)
    return KeyFigures(
        revenue_12m=figures.revenue_12m,
        revenue_prev_12m=figures.revenue_prev_12m,
        growth_pct=_pct(figures.revenue_growth) if figures.revenue_growth is not None else None,
        margin_12m=figures.margin_12m,
        margin_pct=margin_pct,
        order_count_12m=figures.order_count_12m,
        order_count=figures.order_count,
        last_order_date=figures.last_order_date,
        avg_order_interval_days=figures.avg_order_interval_days,
        share_pct=_pct(figures.revenue_share),
        computed_at=figures.computed_at,
    )
