"""The rules of a transaction, one set for every channel: the single write (API, pages), the bulk
upsert of an ERP sync and the file import all call ``transaction_rules`` with their rows already
parsed, and get the same errors on the same fields.

A row names its account and, for a refund, the transaction it refunds; ``upsert`` rows (bulk,
import) are matched to a stored transaction by external id, single writes must not reuse one.
Rules, each with the field it is reported on:

* account — must be an account the actor may see in the current tenant ("does not exist" either
  way: another tenant's and a colleague's account read the same);
* amount — negative only for a refund (refunds come one by one, not in bulk), and a refund's amount
  is negative;
* refund_of — a transaction of the same account that is not itself a refund; a transaction that
  has refunds cannot become one;
* external_id — unique in the tenant: a new single write may not reuse one; an upsert may update
  the transaction it names only if the actor may see it, and never a refund;
* account again — a transaction with refunds stays on its account.

The checks read the database in at most three queries for any number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.account.selectors import account_visible_queryset
from accounts.transactions.models import Transaction
from kam.db.expressions import value_set
from kam.roles import Actor

Errors = dict[str, list[str]]


@dataclass
class TxRow:
    """One transaction as a channel parsed it (None where the channel had no valid value)."""

    account_id: int | None
    amount: Decimal | None
    external_id: str = ""
    refund_of_id: int | None = None
    pk: int | None = None      # the stored transaction a single update changes
    upsert: bool = False       # bulk / import: external_id names the row to insert or update


@dataclass(frozen=True)
class _Stored:
    pk: int
    account_id: int
    refund_of_id: int | None
    has_refunds: bool


def _stored(match: Q) -> dict[object, _Stored]:
    has_refunds = Exists(Transaction.objects.filter(refund_of_id=OuterRef("pk")))
    rows = (Transaction.objects.filter(match).annotate(has_refunds=has_refunds).order_by()
            .values_list("pk", "external_id", "account_id", "refund_of_id", "has_refunds"))
    found: dict[object, _Stored] = {}
    for pk, external_id, account_id, refund_of_id, refunds in rows:
        stored = _Stored(pk, account_id, refund_of_id, refunds)
        found[pk] = stored
        if external_id:
            found[("ext", external_id)] = stored
    return found


@dataclass
class Checked:
    errors: list[Errors]  # per row, in the order of the rows (``{}``: the row passes)
    stored_accounts: dict[str, int]  # external id -> the account of the stored transaction


def transaction_rules(*, actor: Actor, rows: list[TxRow]) -> Checked:
    """Check every row; also says on which account each named external id is stored now (the
    upsert refreshes the figures of the accounts a row moves away from)."""
    external_ids = {r.external_id for r in rows if r.external_id}
    related = {r.pk for r in rows if r.pk} | {r.refund_of_id for r in rows if r.refund_of_id}
    stored: dict[object, _Stored] = {}
    if external_ids:
        # Through the unique (tenant, external id) index, one probe per id (kam.db.expressions).
        stored.update(_stored(Q(external_id__in=value_set(external_ids)) & ~Q(external_id="")))
    if related:
        stored.update(_stored(Q(pk__in=related)))
    account_ids = ({r.account_id for r in rows if r.account_id is not None}
                   | {s.account_id for s in stored.values()})
    visible = set(account_visible_queryset(actor=actor).filter(pk__in=account_ids)
                  .values_list("pk", flat=True)) if account_ids else set()
    return Checked(errors=[_row_errors(row, stored=stored, visible=visible) for row in rows],
                   stored_accounts={key[1]: row.account_id for key, row in stored.items()
                                    if isinstance(key, tuple)})


def _row_errors(row: TxRow, *, stored: dict[object, _Stored], visible: set[int]) -> Errors:
    errors: Errors = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if row.account_id is None or row.account_id not in visible:
        fail("account", _("The account does not exist."))
    current = stored.get(row.pk) if row.pk else None
    holder = stored.get(("ext", row.external_id)) if row.external_id else None
    if row.upsert and holder is not None:
        if holder.account_id not in visible:
            # Another (invisible) account's transaction: neither reveal nor change it.
            fail("external_id", _("Another transaction already has this external ID."))
        elif holder.refund_of_id is not None:
            fail("external_id", _("This external ID is a refund; change refunds one by one."))
        else:
            current = holder
    elif holder is not None and holder.pk != row.pk:
        fail("external_id", _("Another transaction already has this external ID."))

    if (current is not None and current.has_refunds and row.account_id is not None
            and row.account_id != current.account_id and "account" not in errors):
        fail("account", _("A transaction with refunds cannot move to another account."))

    refund_of = stored.get(row.refund_of_id) if row.refund_of_id else None
    if row.refund_of_id is not None:
        if (refund_of is None or refund_of.pk == row.pk
                or refund_of.account_id != row.account_id):
            fail("refund_of", _("A refund must refer to a transaction of the same account."))
        elif refund_of.refund_of_id is not None:
            fail("refund_of", _("A refund cannot refer to another refund."))
        if current is not None and current.has_refunds and "refund_of" not in errors:
            fail("refund_of", _("A transaction with refunds cannot itself be a refund."))
        if row.amount is not None and row.amount >= 0:
            fail("amount", _("A refund's amount must be negative."))
    elif row.amount is not None and row.amount < 0:
        fail("amount", _("A negative amount is only allowed for a refund (set refund_of).")
             if not row.upsert else
             _("A negative amount is only allowed for a refund; refunds cannot be imported in "
               "bulk."))
    return errors
