"""Transactions (交易记录): reads, single writes and the bulk upsert of an ERP sync.

Rules, in one place: a transaction belongs to an account the actor can see in the current
tenant; a negative amount is only a refund (``refund_of`` a transaction of the same account), and
a refund's amount is negative; writes need ``Perm.ACCOUNT_CHANGE``. After every write the
account's derived figures are recomputed (accounts.figures) so the API shows them fresh.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from accounts.account.selectors import account_visible_queryset
from accounts.figures.services import figures_recompute_accounts
from accounts.transactions.models import Transaction
from accounts.transactions.rules import TxRow, transaction_rules
from kam import clock
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, clean_and_raise

BULK_MAX_ROWS = 10_000
TRANSACTION_EDITABLE_FIELDS = ("account", "date", "amount", "gross_margin", "product_line",
                               "refund_of", "external_id")
_BULK_FIELDS = ("account", "date", "amount", "gross_margin", "product_line", "external_id")
_AMOUNT_LIMIT = Decimal("1e14")  # max_digits=16, decimal_places=2
# What the API schema documents for bulk rows (kam.api: decimals as text or whole numbers, ISO
# dates); anything else is refused rather than guessed at.
_DECIMAL_TEXT = re.compile(r"-?\d{1,14}(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BulkValidationError(ValidationError):
    """Some rows of a bulk upsert are invalid; ``rows`` is [{"index": i, "errors": {...}}]."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.rows = rows


# --- single writes --------------------------------------------------------------------------------


def _require_change(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change transactions."))


def _visible_account(*, actor: Actor, account_id: int | None) -> bool:
    return account_id is not None and account_visible_queryset(actor=actor).filter(
        pk=account_id).exists()


def _apply(*, actor: Actor, tx: Transaction, data: dict[str, Any]) -> None:
    apply_changes(tx, data, editable=TRANSACTION_EDITABLE_FIELDS,
                  strip=("product_line", "external_id"))
    # The transaction's rules (accounts.transactions.rules), the same for bulk and import.
    [errors] = transaction_rules(actor=actor, rows=[TxRow(
        account_id=tx.account_id, amount=tx.amount, external_id=tx.external_id,
        refund_of_id=tx.refund_of_id, pk=tx.pk)]).errors
    clean_and_raise(tx, errors, skip=["account", "refund_of"], validate_unique=False,
                    validate_constraints=False)


def _refresh_figures(account_ids: set[int]) -> None:
    ids = sorted(i for i in account_ids if i is not None)
    if ids:
        tenant = get_current_tenant()
        figures_recompute_accounts(tenant_id=tenant.pk, account_ids=ids, today=clock.today(tenant))


@transaction.atomic
def transaction_create(*, actor: Actor, data: dict[str, Any]) -> Transaction:
    _require_change(actor)
    tx = Transaction(tenant=get_current_tenant())
    _apply(actor=actor, tx=tx, data=data)
    tx.save()
    _refresh_figures({tx.account_id})
    return tx


@transaction.atomic
def transaction_update(*, actor: Actor, tx: Transaction, data: dict[str, Any]) -> Transaction:
    _require_change(actor)
    tx = Transaction.objects.select_for_update().get(pk=tx.pk)
    if not _visible_account(actor=actor, account_id=tx.account_id):
        raise Transaction.DoesNotExist
    old_account_id = tx.account_id
    _apply(actor=actor, tx=tx, data=data)
    tx.save()
    _refresh_figures({old_account_id, tx.account_id})
    return tx


@transaction.atomic
def transaction_delete(*, actor: Actor, tx: Transaction) -> None:
    _require_change(actor)
    if not _visible_account(actor=actor, account_id=tx.account_id):
        raise Transaction.DoesNotExist
    if Transaction.objects.filter(refund_of_id=tx.pk).exists():
        raise ValidationError(_("This transaction has refunds; delete them first."))
    Transaction.objects.filter(pk=tx.pk).delete()
    _refresh_figures({tx.account_id})


# --- bulk upsert ----------------------------------------------------------------------------------


def _parse_decimal(value: Any, *, required: bool) -> tuple[Decimal | None, str | None]:
    if value is None or value == "":
        return None, (_("This field is required.") if required else None)
    if isinstance(value, bool) or not isinstance(value, (int, str, float, Decimal)):
        return None, _("A valid number is required.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None, _("A valid number is required.")
    if not number.is_finite():
        return None, _("A valid number is required.")
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, _("Ensure that there are no more than 2 decimal places.")
    if abs(number) >= _AMOUNT_LIMIT:
        return None, _("Ensure that there are no more than 16 digits in total.")
    if isinstance(value, float) or (isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value)):
        return None, _("A valid number is required.")  # 1.5, " 12", "1e3", ".5"
    return number, None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _parse_row(row: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Shape-check one bulk row; returns the clean values and the field errors."""
    if not isinstance(row, dict):
        return {}, {"non_field_errors": [_("Each row must be an object.")]}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    unknown = set(row) - set(_BULK_FIELDS)
    for field in sorted(unknown):
        # Named as sent; a lone surrogate (UTF-8 cannot carry it) written as \udfff.
        errors[field.encode("utf-8", "backslashreplace").decode("utf-8")] = [
            _("This field cannot be set.")]

    account = row.get("account")
    if account is None or account == "":
        errors["account"] = [_("This field is required.")]
    elif isinstance(account, bool) or not isinstance(account, int) or account > 2**63 - 1:
        errors["account"] = [_("The account does not exist.")]
    else:
        clean["account"] = int(account)

    raw_date = row.get("date")
    parsed: datetime.date | None = None
    if raw_date is None or raw_date == "":
        errors["date"] = [_("This field is required.")]
    else:
        try:
            parsed = (parse_date(raw_date) if isinstance(raw_date, str)
                      and _ISO_DATE.fullmatch(raw_date) else None)
        except ValueError:
            parsed = None
        if parsed is None:
            errors["date"] = [_("Enter a valid date (YYYY-MM-DD).")]
        clean["date"] = parsed

    amount, message = _parse_decimal(row.get("amount"), required=True)
    if message:
        errors["amount"] = [message]
    clean["amount"] = amount  # a negative one is for the rules to refuse
    margin, message = _parse_decimal(row.get("gross_margin"), required=False)
    if message:
        errors["gross_margin"] = [message]
    clean["gross_margin"] = margin

    for field, required in (("product_line", False), ("external_id", True)):
        value = row.get(field, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[field] = [_("Not a valid string.")]
            continue
        value = value.strip()
        surrogate = None if value.isascii() else _SURROGATE.search(value)
        if "\x00" in value:
            errors[field] = [_("Null characters are not allowed.")]
        elif surrogate is not None:
            # A lone surrogate ("\udfff" in the JSON) is no text PostgreSQL can store; the same
            # words as the single write's (DRF's CharField).
            errors[field] = [_("Surrogate characters are not allowed: U+{code_point:X}.").format(
                code_point=ord(surrogate.group()))]
        elif len(value) > 100:
            errors[field] = [_("Ensure this field has no more than 100 characters.")]
        elif required and not value:
            errors[field] = [_("An external ID is required for bulk upsert.")]
        if field not in errors:  # a rejected value (a NUL) must not reach the lookup query
            clean[field] = value
    return clean, errors


_UPSERT_SQL = """
INSERT INTO accounts_transaction AS t
    (tenant_id, account_id, date, amount, gross_margin, product_line, external_id,
     refund_of_id, created_at, updated_at)
VALUES %s
ON CONFLICT (tenant_id, external_id) WHERE external_id <> '' DO UPDATE SET
    account_id = EXCLUDED.account_id, date = EXCLUDED.date, amount = EXCLUDED.amount,
    gross_margin = EXCLUDED.gross_margin, product_line = EXCLUDED.product_line,
    updated_at = EXCLUDED.updated_at
WHERE (t.account_id, t.date, t.amount, t.gross_margin, t.product_line)
      IS DISTINCT FROM
      (EXCLUDED.account_id, EXCLUDED.date, EXCLUDED.amount, EXCLUDED.gross_margin,
       EXCLUDED.product_line)
RETURNING (xmax = 0) AS inserted
"""
_ROW_TEMPLATE = ("(%s, %s, %s::date, %s::numeric, %s::numeric, %s, %s, NULL, %s::timestamptz, "
                 "%s::timestamptz)")


def transaction_bulk_upsert(*, actor: Actor, rows: list[dict]) -> dict[str, int]:
    """Insert or update up to 10,000 transactions by external_id, all or nothing.

    Every row is validated first (two queries: the visible accounts named, the existing rows
    with those external ids); any error raises BulkValidationError and nothing is written.
    Then one set-based upsert writes only the rows that differ.
    """
    _require_change(actor)
    if not isinstance(rows, list):
        raise BulkValidationError(_("The body must be a list of transactions."), [])
    if len(rows) > BULK_MAX_ROWS:
        raise BulkValidationError(
            _("Too many rows: at most %(max)d transactions per request, got %(n)d.")
            % {"max": BULK_MAX_ROWS, "n": len(rows)}, [])
    tenant = get_current_tenant()

    parsed = [_parse_row(row) for row in rows]
    # The transaction's rules (accounts.transactions.rules), the same as a single write's.
    checked = transaction_rules(actor=actor, rows=[
        TxRow(account_id=c.get("account"), amount=c.get("amount"),
              external_id=c.get("external_id") or "", upsert=True) for c, _e in parsed])
    seen: dict[str, int] = {}
    report: list[dict[str, Any]] = []
    for index, ((clean, errors), rule_errors) in enumerate(zip(parsed, checked.errors, strict=True)):
        for field, messages in rule_errors.items():
            errors.setdefault(field, messages)  # the row's own shape errors come first
        ext = clean.get("external_id")
        if ext and ext in seen:
            errors["external_id"] = [
                _("Duplicate external ID in this request (also at index %(i)d).") % {"i": seen[ext]}]
        elif ext:
            seen[ext] = index
        if errors:
            report.append({"index": index, "errors": errors})
    if report:
        raise BulkValidationError(
            _("%(n)d of %(total)d rows are invalid; nothing was written.")
            % {"n": len(report), "total": len(rows)}, report)
    if not rows:
        return {"created": 0, "updated": 0, "unchanged": 0}

    now = clock.now()
    values = [
        (tenant.pk, c["account"], c["date"], c["amount"], c["gross_margin"], c["product_line"],
         c["external_id"], now, now)
        for c, _e in parsed
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        returned = execute_values(cursor.cursor, _UPSERT_SQL, values, template=_ROW_TEMPLATE,
                                  page_size=1000, fetch=True)
        created = sum(1 for (inserted,) in returned if inserted)
        updated = len(returned) - created
        if returned:
            # Refresh the figures of every account touched (old accounts of moved rows included).
            moved_from = {checked.stored_accounts[c["external_id"]] for c, _e in parsed
                          if c["external_id"] in checked.stored_accounts}
            _refresh_figures({c["account"] for c, _e in parsed} | moved_from)
    return {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}
