"""The rules of an account, one set for every channel: the single write (pages, API) and the file
import both call ``account_rules`` with their rows already parsed, and get the same errors on the
same fields.

* owner — an active member of the tenant; who may not assign owners (account.assign_owner) may only
  name themselves;
* parent — an account the actor may see ("does not exist" otherwise, as for another tenant's); not
  the account itself nor one of its descendants (a cycle in the group hierarchy);
* unified_social_credit_code, external_id — unique in the tenant. An ``upsert`` row (import) names
  by external id the account it inserts or updates, which must be one the actor may see.

At most five queries for any number of rows (the cycle check is one recursive statement).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset
from kam.db.expressions import value_set
from kam.models import Membership
from kam.roles import Actor, Perm

Errors = dict[str, list[str]]
MAX_HIERARCHY_DEPTH = 50

_CYCLES_SQL = """
WITH RECURSIVE walk(start_id, id, depth) AS (
    SELECT s.account_id, s.parent_id, 1 FROM unnest(%(accounts)s::bigint[], %(parents)s::bigint[])
        AS s(account_id, parent_id)
    UNION ALL
    SELECT w.start_id, a.parent_id, w.depth + 1
      FROM walk w JOIN accounts_account a ON a.id = w.id
     WHERE a.tenant_id = %(tenant)s AND a.parent_id IS NOT NULL
       AND w.id <> w.start_id AND w.depth < %(depth)s
)
SELECT DISTINCT start_id FROM walk WHERE id = start_id
"""


@dataclass
class AccountRow:
    """One account as a channel parsed it."""

    pk: int | None = None            # the stored account a single update changes
    external_id: str = ""
    uscc: str | None = None          # None: not given (an import that does not map it)
    owner_id: int | None = None
    owner_given: bool = False
    parent_id: int | None = None
    parent_given: bool = False
    upsert: bool = False             # import: external_id names the account to insert or update
    errors: Errors = field(default_factory=dict)


@dataclass
class Checked:
    errors: list[Errors]
    stored: dict[str, int]  # external id -> the stored account's id, for the upsert rows


def account_rules(*, actor: Actor, rows: list[AccountRow]) -> Checked:
    tenant_id = actor.tenant.pk
    externals = {r.external_id for r in rows if r.external_id}
    codes = {r.uscc for r in rows if r.uscc}
    # Through the unique indexes, one probe per value (kam.db.expressions.value_set).
    holders: dict[str, int] = dict(Account.objects.filter(
        external_id__in=value_set(externals)).exclude(external_id="").values_list(
        "external_id", "pk")) if externals else {}
    code_holders: dict[str, int] = dict(Account.objects.filter(
        unified_social_credit_code__in=value_set(codes)).exclude(unified_social_credit_code="")
        .values_list("unified_social_credit_code", "pk")) if codes else {}
    wanted = ({r.parent_id for r in rows if r.parent_given and r.parent_id}
              | {pk for r in rows if r.upsert and (pk := holders.get(r.external_id))})
    visible = set(account_visible_queryset(actor=actor).filter(pk__in=wanted)
                  .values_list("pk", flat=True)) if wanted else set()
    owners = {r.owner_id for r in rows if r.owner_id is not None}
    active = set(Membership.objects.filter(pk__in=owners, is_active=True)
                 .values_list("pk", flat=True)) if owners else set()

    stored: dict[str, int] = {}
    for row in rows:
        row.errors = {}
        if row.upsert and row.external_id in holders:
            if holders[row.external_id] in visible:
                stored[row.external_id] = row.pk = holders[row.external_id]
            else:
                row.errors["external_id"] = [_("Another account already has this external ID.")]
        elif row.external_id and holders.get(row.external_id, row.pk) != row.pk:
            row.errors["external_id"] = [_("Another account already has this external ID.")]
        if row.uscc and code_holders.get(row.uscc, row.pk) != row.pk:
            row.errors["unified_social_credit_code"] = [
                _("Another account already has this unified social credit code.")]
        _owner(actor, row, active)
        if row.parent_given and row.parent_id is not None and row.parent_id not in visible:
            # An account the actor may not see reads like another tenant's: it does not exist
            # (the page's form only offers visible parents; the API must refuse the same).
            row.errors["parent"] = [_("The parent account does not exist.")]
    _cycles(rows, tenant_id)
    return Checked(errors=[row.errors for row in rows], stored=stored)


def _owner(actor: Actor, row: AccountRow, active: set[int]) -> None:
    if row.owner_id is not None and row.owner_id not in active:
        row.errors["owner"] = [_("The owner must be one of your company's active members.")]
    elif row.owner_given and not actor.can(Perm.ACCOUNT_ASSIGN_OWNER):
        own = actor.membership.pk if actor.membership else None
        if row.owner_id is None or row.owner_id != own:
            row.errors["owner"] = [_("You can only make yourself the owner of an account.")]


def _cycles(rows: list[AccountRow], tenant_id: int) -> None:
    """A stored account whose new parent is itself or one of its descendants."""
    pending = [r for r in rows if r.pk is not None and r.parent_id is not None
               and "parent" not in r.errors]
    cyclic = {r.pk for r in pending if r.parent_id == r.pk}
    rest = [r for r in pending if r.pk not in cyclic]
    if rest:
        with connection.cursor() as cursor:
            cursor.execute(_CYCLES_SQL, {"accounts": [r.pk for r in rest],
                                         "parents": [r.parent_id for r in rest],
                                         "tenant": tenant_id, "depth": MAX_HIERARCHY_DEPTH})
            cyclic |= {pk for (pk,) in cursor.fetchall()}
    for row in pending:
        if row.pk in cyclic:
            row.errors["parent"] = [_("This parent would create a cycle in the group hierarchy.")]
