"""Writes of accounts: every create, update and delete goes through here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.rules import AccountRow, account_rules
from accounts.account.validators import normalize_uscc
from accounts.transactions.models import Transaction
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, clean_and_raise

ACCOUNT_EDITABLE_FIELDS = (
    "name", "short_name", "unified_social_credit_code", "industry", "province", "city",
    "employee_count", "annual_revenue_band", "business_scope", "development_stage", "parent",
    "owner", "lifecycle_status", "strategic_value", "credit_rating", "language", "notes",
    "external_id",
)


def _apply(*, actor: Actor, account: Account, data: dict[str, Any]) -> None:
    apply_changes(account, data, editable=ACCOUNT_EDITABLE_FIELDS, strip=("external_id",))
    account.unified_social_credit_code = normalize_uscc(account.unified_social_credit_code)
    # The account's rules (accounts.account.rules), the same for the file import.
    [errors] = account_rules(actor=actor, rows=[AccountRow(
        pk=account.pk, external_id=account.external_id,
        uscc=account.unified_social_credit_code, owner_id=account.owner_id,
        owner_given="owner" in data, parent_id=account.parent_id,
        parent_given="parent" in data)]).errors
    clean_and_raise(account, errors, validate_unique=False)


def _with_default_owner(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "owner" not in data and actor.membership is not None:
        data["owner"] = actor.membership
    return data


def _changes(account: Account, data: dict[str, Any]) -> dict[str, Any]:
    """What ``data`` changes of the stored ``account`` (the rules judge changes only: an owner who
    left stays the owner until someone picks another)."""
    changed = {k: v for k, v in data.items() if getattr(account, k, object()) != v}
    if "owner" in changed and changed["owner"] == account.owner:
        changed.pop("owner")
    return changed


@transaction.atomic
def account_create(*, actor: Actor, data: dict[str, Any]) -> Account:
    if not actor.can(Perm.ACCOUNT_CREATE):
        raise PermissionDenied(_("You may not create accounts."))
    account = Account(tenant=get_current_tenant())
    _apply(actor=actor, account=account, data=_with_default_owner(actor, data))
    account.save()
    return account


@transaction.atomic
def account_update(*, actor: Actor, account: Account, data: dict[str, Any]) -> Account:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change accounts."))
    account = Account.objects.select_for_update().get(pk=account.pk)
    _apply(actor=actor, account=account, data=_changes(account, data))
    account.save()
    return account


def account_check(*, actor: Actor, data: dict[str, Any], account: Account | None = None) -> None:
    """The rules of ``account_create`` (``account`` None) or ``account_update`` on ``data``,
    writing nothing: ``ValidationError`` with every error. A value None is "unknown" (a page's
    field that did not parse): the null checks name it and the rules that need it skip it."""
    if account is None:
        _apply(actor=actor, account=Account(tenant=get_current_tenant()),
               data=_with_default_owner(actor, data))
        return
    stored = Account.objects.get(pk=account.pk)
    _apply(actor=actor, account=stored, data=_changes(stored, data))


@transaction.atomic
def account_delete(*, actor: Actor, account: Account) -> None:
    if not actor.can(Perm.ACCOUNT_DELETE):
        raise PermissionDenied(_("Only administrators may delete accounts."))
    # Refunds PROTECT their original (Transaction.refund_of), which would block the cascade:
    # remove the account's refunds first, then everything else cascades.
    Transaction.objects.filter(
        Q(account_id=account.pk) | Q(refund_of__account_id=account.pk), refund_of__isnull=False,
    ).delete()
    Account.objects.filter(pk=account.pk).delete()
