"""Reads of transactions: those of the accounts the actor may see, and an account's revenue by
month."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from accounts.transactions.models import Transaction
from accounts.transactions.sql import ACCOUNT_MONTHS
from kam import clock
from kam.roles import Actor


def transaction_visible_queryset(*, actor: Actor) -> QuerySet[Transaction]:
    """Transactions of the accounts the actor may see, in the current tenant."""
    return visible_via_account(Transaction.objects.all(), actor=actor)


@dataclass(frozen=True)
class MonthTotals:
    month: datetime.date  # the first of the month
    last_date: datetime.date  # the month's last transaction
    orders: int
    order_total: Decimal
    refunds: int
    refund_total: Decimal  # negative (refunds are negative amounts)

    @property
    def net_total(self) -> Decimal:
        return self.order_total + self.refund_total


def account_months(*, account: Account, since: datetime.date | None = None,
                   until: datetime.date | None = None) -> list[MonthTotals]:
    """An (already visible) account's transactions dated ``since``..``until`` (inclusive, either
    open) per calendar month, newest first; months without transactions are left out. One query."""
    with connection.cursor() as cursor:
        cursor.execute(ACCOUNT_MONTHS, {"tenant": account.tenant_id, "account": account.pk,
                                        "since": since, "until": until})
        return [MonthTotals(*row) for row in cursor.fetchall()]


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
    totals = {row.month: row.net_total
              for row in account_months(account=account, since=first, until=today)}
    return [(month, totals.get(month, Decimal("0.00")))
            for month in (clock.add_months(first, i) for i in range(months))]
