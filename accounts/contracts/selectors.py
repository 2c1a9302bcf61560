"""Reads of contracts, renewals due included. A contract is visible exactly when its account is
(``visible_via_account``); "due" is judged on the tenant's today."""

from __future__ import annotations

import datetime

from django.db.models import (
    BooleanField,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast

from accounts.account.selectors import visible_via_account
from accounts.contracts.models import Contract, ContractStatus
from kam import clock
from kam.roles import Actor


def contract_visible_queryset(*, actor: Actor) -> QuerySet[Contract]:
    """Contracts of the accounts the actor may see, with the account joined (one query)."""
    return visible_via_account(Contract.objects.select_related("account"), actor=actor)


def _with_notice_start(qs: QuerySet[Contract]) -> QuerySet[Contract]:
    # end_date - renewal_notice_days * interval '1 day', computed by PostgreSQL per row so the
    # window is one indexed query rather than a Python loop over contracts.
    notice = ExpressionWrapper(F("renewal_notice_days") * datetime.timedelta(days=1),
                               output_field=DurationField())
    return qs.annotate(renewal_notice_start=Cast(F("end_date") - notice, output_field=DateField()))


def renewal_due_q(*, today: datetime.date) -> Q:
    """Active, not yet ended, and inside the notice window. Needs ``_with_notice_start``."""
    return Q(status=ContractStatus.ACTIVE, end_date__gte=today, renewal_notice_start__lte=today)


def contracts_filter_renewal_due(qs: QuerySet[Contract], *, today: datetime.date,
                                 due: bool = True) -> QuerySet[Contract]:
    qs = _with_notice_start(qs)
    condition = renewal_due_q(today=today)
    return qs.filter(condition) if due else qs.exclude(condition)


def renewals_due(*, actor: Actor, today: datetime.date | None = None) -> QuerySet[Contract]:
    """Active contracts whose renewal notice period has started and that have not ended yet."""
    if today is None:
        today = clock.today(actor.tenant)
    qs = contracts_filter_renewal_due(contract_visible_queryset(actor=actor), today=today)
    return qs.order_by("end_date", "id")


def with_renewal_due(qs: QuerySet[Contract], *, today: datetime.date) -> QuerySet[Contract]:
    """Annotate ``renewal_due`` with the renewal rule above, in the same query."""
    due = contracts_filter_renewal_due(Contract.objects.filter(pk=OuterRef("pk")), today=today)
    return qs.annotate(renewal_due=Exists(due))


def contracts_by_end(*, today: datetime.date) -> QuerySet[Contract]:
    """Contracts latest end first, each flagged ``renewal_due``: the 360° page prefetches an
    account's through it (``accounts.profile.selectors.profile_prefetch``). The flag is the
    renewal rule on the row itself (``with_renewal_due``'s subquery is for lists that filter on
    other things)."""
    qs = _with_notice_start(Contract.objects.all())
    return (qs.annotate(renewal_due=ExpressionWrapper(renewal_due_q(today=today),
                                                      output_field=BooleanField()))
            .order_by("-end_date", "-id"))
