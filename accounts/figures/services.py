"""Derived account figures (accounts_accountfigures), kept by one set-based statement
(``accounts.figures.sql``): the whole tenant nightly (the ``figures`` job, under run_job's lock),
or a few accounts after transaction writes (the same statement restricted to them; the tenant
total behind ``revenue_share`` is still tenant-wide, the other accounts' part of it read from their
stored figures rather than from all their transactions).
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from accounts.figures.sql import FIGURES_ACCOUNTS_SQL, FIGURES_SQL
from kam import clock
from kam.models import Tenant
from kam.tenancy import as_tenant


def _run(*, tenant_id: int, today: datetime.date, account_ids: list[int] | None) -> int:
    params: dict[str, int | datetime.date | list[int]] = {"tenant": tenant_id, "today": today,
                                                          "now": clock.now()}
    if account_ids is None:
        sql = FIGURES_SQL.format(agg_filter="", account_filter="")
    else:
        params["accounts"] = list(account_ids)
        sql = FIGURES_ACCOUNTS_SQL.format(agg_filter="AND t.account_id = ANY(%(accounts)s)",
                                          account_filter="AND a.id = ANY(%(accounts)s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def figures_recompute(*, tenant_id: int, today: datetime.date | None = None) -> int:
    """Recompute every account's figures of one tenant; returns the rows inserted or changed.

    Takes no lock of its own: the nightly run holds the job's lock (kam.jobs.run_job), and the
    statement is idempotent, so a second run at the same time only repeats the same values."""
    with as_tenant(tenant_id), transaction.atomic():
        if today is None:
            today = clock.today(Tenant.objects.get(pk=tenant_id))
        return _run(tenant_id=tenant_id, today=today, account_ids=None)


def figures_recompute_accounts(*, tenant_id: int, account_ids: list[int],
                               today: datetime.date | None = None) -> int:
    """The same statement for a few accounts (after transaction writes)."""
    if not account_ids:
        return 0
    with as_tenant(tenant_id), transaction.atomic():
        if today is None:
            today = clock.today(Tenant.objects.get(pk=tenant_id))
        return _run(tenant_id=tenant_id, today=today, account_ids=account_ids)
