"""Writes of visit cadence: the nightly recompute of a company's accounts and the recompute of
one account after one of its visits changes. Both run the same statement (visits.cadence.sql),
which writes only the rows that change."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction

from kam import clock
from kam.models import Tenant
from kam.tenancy import as_tenant, get_current_tenant
from visits.cadence.models import LEVELS
from visits.cadence.sql import cadence_params, upsert_sql


@dataclass(frozen=True)
class CadenceResult:
    examined: int  # account × level rows computed
    changed: int  # rows written (new or different)


def _recompute(*, tenant: Tenant, as_of: datetime.date, account_id: int | None) -> CadenceResult:
    params = cadence_params(
        tenant_id=tenant.pk, time_zone=tenant.time_zone, as_of=as_of,
        due_soon_days=tenant.cadence_due_soon_days,
        until=clock.day_start(as_of + datetime.timedelta(days=1), tenant), account_id=account_id)
    with connection.cursor() as cursor:
        cursor.execute(upsert_sql(account=account_id is not None), params)
        changed = cursor.rowcount
        if account_id is not None:
            return CadenceResult(examined=len(LEVELS), changed=changed)
        cursor.execute("SELECT count(*) FROM accounts_account WHERE tenant_id = %s", [tenant.pk])
        (accounts,) = cursor.fetchone()
    return CadenceResult(examined=accounts * len(LEVELS), changed=changed)


def cadence_recompute(*, tenant_id: int, as_of: datetime.date | None = None) -> CadenceResult:
    """Where every account of one company stands at each level on ``as_of`` (its today by
    default): one statement writing only changed rows. Idempotent: a second run changes nothing."""
    with as_tenant(tenant_id), transaction.atomic():
        tenant = Tenant.objects.get(pk=tenant_id)
        return _recompute(tenant=tenant, as_of=as_of or clock.today(tenant), account_id=None)


def cadence_recompute_account(*, account_id: int, as_of: datetime.date | None = None
                              ) -> CadenceResult:
    """The same statement for one account of the current company (its three levels)."""
    tenant = get_current_tenant()
    with transaction.atomic():
        return _recompute(tenant=tenant, as_of=as_of or clock.today(tenant),
                          account_id=account_id)


def cadence_visit_changed(*, account_id: int) -> None:
    """The hook visits' services call when a visit is reported, cancelled or rescheduled: the
    account's cadence is recomputed once the visit's transaction has committed (a failure here
    cannot undo the visit; the night's run would correct it)."""
    tenant_id = get_current_tenant().pk

    def recompute() -> None:
        # The request's company may no longer be current when the outermost transaction ends.
        with as_tenant(tenant_id):
            cadence_recompute_account(account_id=account_id)

    transaction.on_commit(recompute)
