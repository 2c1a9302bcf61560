"""Writes of contracts: create, update, delete, with the contract's rules (dates in order, value
not negative, number and external id unique in the tenant)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset
from accounts.contracts.models import Contract
from accounts.contracts.selectors import contract_visible_queryset
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, check_unique, clean_and_raise

CONTRACT_EDITABLE_FIELDS = (
    "account", "number", "title", "start_date", "end_date", "value", "payment_terms_days",
    "status", "renewal_notice_days", "notes", "external_id",
)

def _apply(*, actor: Actor, contract: Contract, data: dict[str, Any]) -> None:
    tenant = get_current_tenant()
    apply_changes(contract, data, editable=CONTRACT_EDITABLE_FIELDS,
                  strip=("number", "external_id"))
    errors: dict[str, list[str]] = {}

    # cast: the stubs' plugin leaves a TenantForeignKeyField's descriptor type unresolved.
    account: Account | None = cast(Account, contract.account) if contract.account_id else None
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


def contract_check(*, actor: Actor, data: dict[str, Any], contract: Contract | None = None) -> None:
    """The rules of ``contract_create`` (``contract`` None) or ``contract_update`` on ``data``,
    writing nothing: ``ValidationError`` with every error. A value None is "unknown" (a page's
    field that did not parse): the null checks name it and the rules that need it skip it (the
    end date is judged against a start date only when both are known)."""
    _require_change(actor)
    if contract is None:
        _apply(actor=actor, contract=Contract(tenant=get_current_tenant()), data=data)
        return
    _apply(actor=actor, contract=contract_visible_queryset(actor=actor).get(pk=contract.pk),
           data=data)


@transaction.atomic
def contract_delete(*, actor: Actor, contract: Contract) -> None:
    _require_change(actor)
    contract_visible_queryset(actor=actor).filter(pk=contract.pk).delete()
