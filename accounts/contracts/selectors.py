"""Reads of contracts, renewals due included. A contract is visible exactly when its account is
(``visible_via_account``); "due" is judged on the tenant's today."""

from __future__ import annotations

import datetime

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.account.selectors import visible_via_account
from accounts.contracts.models import Contract, ContractStatus
from kam import clock
from kam.roles import Actor


def contract_visible_queryset(*, actor: Actor) -> QuerySet[Contract]:
    """Contracts of the accounts the actor may see, with the account joined (one query)."""
    return visible_via_account(Contract.objects.select_related("account"), actor=actor)


def renewal_due(*, today: datetime.date) -> RawSQL:
    """The renewal rule, on a contract row: active, not ended by ``today``, and inside its notice
    window (``end_date - renewal_notice_days`` reached). A boolean for filters and annotations,
    written out once: the same rule built from ORM expressions cost ~1.5 ms of Python to compile
    per query, and PostgreSQL computes it per row either way (so ``end_date`` stays indexable)."""
    return RawSQL(
        '("accounts_contract"."status" = %s AND "accounts_contract"."end_date" >= %s'
        ' AND "accounts_contract"."end_date" - "accounts_contract"."renewal_notice_days" <= %s)',
        [ContractStatus.ACTIVE, today, today], output_field=BooleanField())


class ContractPeriod:
    """Which contracts a list shows: the current ones (its default), the ended ones, or all."""

    CURRENT = "current"
    ENDED = "ended"
    ALL = "all"


def contract_is_current(*, today: datetime.date) -> Q:
    """A current contract: still in play (a draft being agreed, or active) and not ended by
    ``today`` (its last day is today or later). Every other contract has ended: its end date has
    passed, or it expired or was terminated early."""
    return Q(status__in=(ContractStatus.DRAFT, ContractStatus.ACTIVE), end_date__gte=today)


def contracts_filter_period(qs: QuerySet[Contract], *, period: str,
                            today: datetime.date) -> QuerySet[Contract]:
    if period == ContractPeriod.CURRENT:
        return qs.filter(contract_is_current(today=today))
    if period == ContractPeriod.ENDED:
        return qs.exclude(contract_is_current(today=today))
    return qs


def contracts_filter_renewal_due(qs: QuerySet[Contract], *, today: datetime.date,
                                 due: bool = True) -> QuerySet[Contract]:
    condition = renewal_due(today=today)
    return qs.filter(condition) if due else qs.exclude(condition)


def renewals_due(*, actor: Actor, today: datetime.date | None = None) -> QuerySet[Contract]:
    """Active contracts whose renewal notice period has started and that have not ended yet."""
    if today is None:
        today = clock.today(actor.tenant)
    qs = contracts_filter_renewal_due(contract_visible_queryset(actor=actor), today=today)
    return qs.order_by("end_date", "id")


def with_renewal_due(qs: QuerySet[Contract], *, today: datetime.date) -> QuerySet[Contract]:
    """Annotate ``renewal_due`` with the renewal rule above, in the same query."""
    return qs.annotate(renewal_due=renewal_due(today=today))


def contracts_by_end(*, today: datetime.date) -> QuerySet[Contract]:
    """Contracts latest end first, each flagged ``renewal_due``: the 360° page prefetches an
    account's through it (``accounts.profile.selectors.profile_prefetch``)."""
    return with_renewal_due(Contract.objects.all(), today=today).order_by("-end_date", "-id")
