"""Contracts of an account: writes (services) and reads (selectors), renewals included.

A contract is visible exactly when its account is (accounts.selectors.account_visible_queryset),
so visibility stays defined in one place.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateField, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from accounts.models import Account, Contract, ContractStatus
from accounts.selectors import account_visible_queryset
from kam import clock
from kam.models import Tenant
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import check_unique, clean_and_raise

CONTRACT_EDITABLE_FIELDS = (
    "account", "number", "title", "start_date", "end_date", "value", "payment_terms_days",
    "status", "renewal_notice_days", "notes", "external_id",
)

# --- selectors ----------------------------------------------------------------------------------


def tenant_today(tenant: Tenant) -> datetime.date:
    """Today's date where the tenant works: a contract ends at the tenant's midnight, not UTC's."""
    return clock.today(tenant)


def contract_visible_queryset(*, actor: Actor) -> QuerySet[Contract]:
    """Contracts of the accounts the actor may see, with the account joined (one query)."""
    return Contract.objects.filter(
        account__in=account_visible_queryset(actor=actor)
    ).select_related("account")


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
        today = tenant_today(actor.tenant)
    qs = contracts_filter_renewal_due(contract_visible_queryset(actor=actor), today=today)
    return qs.order_by("end_date", "id")


# --- services -----------------------------------------------------------------------------------


def _apply(*, actor: Actor, contract: Contract, data: dict[str, Any]) -> None:
    tenant = get_current_tenant()
    unknown = set(data) - set(CONTRACT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be set.")] for f in sorted(unknown)})
    for field, value in data.items():
        setattr(contract, field, value)
    contract.number = (contract.number or "").strip()
    contract.external_id = (contract.external_id or "").strip()
    errors: dict[str, list[str]] = {}

    account: Account | None = contract.account if contract.account_id else None
    if account is None:
        errors["account"] = [_("This field is required.")]
    elif account.tenant_id != tenant.pk or not account_visible_queryset(actor=actor).filter(
            pk=account.pk).exists():
        # Same message for another tenant's and a colleague's account: reveal nothing.
        errors["account"] = [_("The account does not exist.")]

    start, end = contract.start_date, contract.end_date
    if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end <= start:
        errors["end_date"] = [_("The end date must be after the start date.")]
    if contract.value is not None and Decimal(contract.value) < 0:
        errors["value"] = [_("The value cannot be negative.")]

    check_unique(queryset=Contract.objects.all(), instance=contract, errors=errors, fields=(
        ("number", _("Another contract already has this number.")),
        ("external_id", _("Another contract already has this external ID.")),
    ))
    # Constraints were checked explicitly above, with messages naming the field.
    clean_and_raise(contract, errors, skip=["account"], validate_unique=False,
                    validate_constraints=False)


def _require_change(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change contracts."))


@transaction.atomic
def contract_create(*, actor: Actor, data: dict[str, Any]) -> Contract:
    _require_change(actor)
    contract = Contract(tenant=get_current_tenant())
    _apply(actor=actor, contract=contract, data=data)
    contract.save()
    return contract


@transaction.atomic
def contract_update(*, actor: Actor, contract: Contract, data: dict[str, Any]) -> Contract:
    _require_change(actor)
    contract = contract_visible_queryset(actor=actor).select_for_update(of=("self",)).get(
        pk=contract.pk)
    _apply(actor=actor, contract=contract, data=data)
    contract.save()
    return contract


@transaction.atomic
def contract_delete(*, actor: Actor, contract: Contract) -> None:
    _require_change(actor)
    contract_visible_queryset(actor=actor).filter(pk=contract.pk).delete()
