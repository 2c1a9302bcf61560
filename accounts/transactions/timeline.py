"""The 360° page's timeline source for transactions: one entry per month (orders, refunds)."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats
from django.utils.translation import ngettext

from accounts.profile.timeline import TimelineEntry
from kam.l10n import money_rounded

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor


def transactions_by_month_source(*, actor: Actor, account: Account, since: datetime.date | None,
                                 until: datetime.date | None) -> list[TimelineEntry]:
    """One entry per month with transactions: orders and their total, refunds counted apart.

    One GROUP BY query (``accounts.transactions.selectors.account_months``). The entry is dated
    on the month's last transaction, so it sits where the month's activity ended. A month's totals
    are figures over a period: whole amounts with the currency (``kam.l10n``).
    """
    from accounts.transactions.selectors import account_months

    list_url = reverse("accounts:transaction-list")
    currency = actor.tenant.currency
    entries = []
    for row in account_months(account=account, since=since, until=until):
        month = row.month
        month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        order_total, refund_total = row.order_total, row.refund_total
        title = ngettext(
            "%(month)s: %(count)d order, %(total)s",
            "%(month)s: %(count)d orders, %(total)s", row.orders,
        ) % {"month": formats.date_format(month, "YEAR_MONTH_FORMAT"), "count": row.orders,
             "total": money_rounded(order_total or Decimal(0), currency)}
        detail = ""
        if row.refunds:
            detail = ngettext(
                "%(count)d refund, %(total)s", "%(count)d refunds, %(total)s", row.refunds,
            ) % {"count": row.refunds, "total": money_rounded(refund_total or Decimal(0), currency)}
        query = urlencode({"account": account.pk, "date_after": month.isoformat(),
                           "date_before": month_end.isoformat()})
        entries.append(TimelineEntry(
            when=row.last_date, kind="transactions", title=title, detail=detail,
            url=f"{list_url}?{query}",
            data={"month": month, "orders": row.orders, "order_total": order_total,
                  "refunds": row.refunds, "refund_total": refund_total,
                  "net_total": order_total + refund_total},
        ))
    return entries
