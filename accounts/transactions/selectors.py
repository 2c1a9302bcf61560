"""Reads of transactions: those of the accounts the actor may see, and an account's revenue by
month."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from accounts.transactions.models import Transaction
from kam import clock
from kam.roles import Actor


def transaction_visible_queryset(*, actor: Actor) -> QuerySet[Transaction]:
    """Transactions of the accounts the actor may see, in the current tenant."""
    return visible_via_account(Transaction.objects.all(), actor=actor)


def account_revenue_by_month(*, account: Account, months: int = 24,
                             today: datetime.date | None = None
                             ) -> list[tuple[datetime.date, Decimal]]:
    """Net revenue (orders minus refunds) per calendar month, oldest first, ending with the
    current month of the tenant's time zone; months without transactions are 0. One query.

    Transactions dated after ``today`` are left out, as in the account's figures.
    """
    if months < 1:
        return []
    if today is None:
        today = clock.today()
    first = clock.add_months(today.replace(day=1), -(months - 1))
    rows = (Transaction.objects.filter(account_id=account.pk, date__gte=first, date__lte=today)
            .annotate(month=TruncMonth("date")).values("month")
            .annotate(total=Sum("amount")).order_by("month"))
    totals: dict[datetime.date, Decimal] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        totals[month] = row["total"] or Decimal("0")
    series = []
    for i in range(months):
        month = clock.add_months(first, i)
        series.append((month, totals.get(month, Decimal("0.00"))))
    return series
