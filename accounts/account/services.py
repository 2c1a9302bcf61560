"""Writes of accounts: every create, update and delete goes through here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset
from accounts.account.validators import normalize_uscc
from accounts.transactions.models import Transaction
from kam.models import Membership
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, check_unique, clean_and_raise

ACCOUNT_EDITABLE_FIELDS = (
    "name", "short_name", "unified_social_credit_code", "industry", "province", "city",
    "employee_count", "annual_revenue_band", "business_scope", "development_stage", "parent",
    "owner", "lifecycle_status", "strategic_value", "credit_rating", "notes", "external_id",
)
MAX_HIERARCHY_DEPTH = 50


def _parent_creates_cycle(*, account_id: int, parent_id: int, tenant_id: int) -> bool:
    """True if ``parent_id`` is the account itself or one of its descendants (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE ancestors(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM accounts_account
                 WHERE id = %(parent)s AND tenant_id = %(tenant)s
                UNION ALL
                SELECT a.id, a.parent_id, ancestors.depth + 1
                  FROM accounts_account a JOIN ancestors ON a.id = ancestors.parent_id
                 WHERE a.tenant_id = %(tenant)s AND ancestors.depth < %(max_depth)s
            )
            SELECT EXISTS (SELECT 1 FROM ancestors WHERE id = %(account)s)
            """,
            {"parent": parent_id, "tenant": tenant_id, "account": account_id,
             "max_depth": MAX_HIERARCHY_DEPTH},
        )
        return bool(cursor.fetchone()[0])


def _apply(*, actor: Actor, account: Account, data: dict[str, Any]) -> None:
    tenant = get_current_tenant()
    apply_changes(account, data, editable=ACCOUNT_EDITABLE_FIELDS, strip=("external_id",))
    account.unified_social_credit_code = normalize_uscc(account.unified_social_credit_code)
    errors: dict[str, list[str]] = {}

    owner: Membership | None = account.owner
    if owner is not None and (owner.tenant_id != tenant.pk or not owner.is_active):
        errors["owner"] = [_("The owner must be an active member of this tenant.")]
    elif "owner" in data and not actor.can(Perm.ACCOUNT_ASSIGN_OWNER):
        own = actor.membership.pk if actor.membership else None
        if owner is None or owner.pk != own:
            errors["owner"] = [_("You can only make yourself the owner of an account.")]

    parent: Account | None = account.parent
    if parent is not None:
        if parent.tenant_id != tenant.pk or ("parent" in data and not account_visible_queryset(
                actor=actor).filter(pk=parent.pk).exists()):
            # An account the actor may not see reads like another tenant's: it does not exist
            # (the page's form only offers visible parents; the API must refuse the same).
            errors["parent"] = [_("The parent account does not exist.")]
        elif account.pk is not None and (
            parent.pk == account.pk
            or _parent_creates_cycle(account_id=account.pk, parent_id=parent.pk,
                                     tenant_id=tenant.pk)
        ):
            errors["parent"] = [_("This parent would create a cycle in the group hierarchy.")]
    check_unique(queryset=Account.objects.all(), instance=account, errors=errors, fields=(
        ("unified_social_credit_code", _("Another account already has this unified social credit code.")),
        ("external_id", _("Another account already has this external ID.")),
    ))
    clean_and_raise(account, errors)


@transaction.atomic
def account_create(*, actor: Actor, data: dict[str, Any]) -> Account:
    if not actor.can(Perm.ACCOUNT_CREATE):
        raise PermissionDenied(_("You may not create accounts."))
    data = dict(data)
    if "owner" not in data and actor.membership is not None:
        data["owner"] = actor.membership
    account = Account(tenant=get_current_tenant())
    _apply(actor=actor, account=account, data=data)
    account.save()
    return account


@transaction.atomic
def account_update(*, actor: Actor, account: Account, data: dict[str, Any]) -> Account:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change accounts."))
    account = Account.objects.select_for_update().get(pk=account.pk)
    changed = {k: v for k, v in data.items() if getattr(account, k, object()) != v}
    if "owner" in changed and changed["owner"] == account.owner:
        changed.pop("owner")
    _apply(actor=actor, account=account, data=changed)
    account.save()
    return account


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
