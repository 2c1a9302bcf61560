"""Streamed export of any filtered account, contact or transaction list, as CSV or Excel.

The filters are the list pages' and the API's own FilterSets, and visibility is the actor's, so an
export never holds a row its user could not see on screen. Rows are read with a server-side cursor
(``iterator``), so memory stays flat whatever the size: CSV is streamed to the client as it is
produced; Excel is written by XlsxWriter's constant-memory mode row by row to a temporary file, then
streamed from disk. The header row is in the user's language (``?header=keys``: the stable
field names of ``Column.key`` instead, for integrations); values are codes (not labels), so a file
imports back, in either language.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.account.filters import AccountFilter
from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset
from accounts.contacts.filters import ContactListFilter
from accounts.contacts.models import Contact
from accounts.contacts.selectors import contact_visible_queryset
from accounts.transactions.filters import TransactionListFilter
from accounts.transactions.models import Transaction
from accounts.transactions.selectors import transaction_visible_queryset
from kam import clock
from kam.roles import Actor
from kam.tenancy import get_current_tenant, tenant_context

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    key: str  # the machine header (``?header=keys``): a stable name for integrations
    path: str  # ORM path for values_list
    # The header people read, in their language; None: the model field's own name. Every column
    # an import takes is named so that the import recognises it (accounts.imports.specs), in
    # either language, so an export imports back onto itself.
    label: Promise | None = None


@dataclass(frozen=True)
class ExportSpec:
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    filterset: type
    order: tuple[str, ...]

    def queryset(self, actor: Actor) -> QuerySet:
        raise NotImplementedError

    def headers(self, *, keys: bool = False) -> list[str]:
        """The header row: the columns' labels in the active language, or their keys."""
        if keys:
            return [c.key for c in self.columns]
        return [capfirst(str(c.label if c.label is not None else self._field_name(c.path)))
                for c in self.columns]

    def _field_name(self, path: str) -> str:
        field = self.model._meta.get_field(path)
        if not isinstance(field, models.Field):  # a column of this model's own fields only
            raise TypeError(f"{self.name}: give the column {path!r} a label")
        return str(field.verbose_name)


class _Accounts(ExportSpec):
    def queryset(self, actor: Actor) -> QuerySet:
        return account_visible_queryset(actor=actor)


class _Contacts(ExportSpec):
    def queryset(self, actor: Actor) -> QuerySet:
        return contact_visible_queryset(actor=actor)


class _Transactions(ExportSpec):
    def queryset(self, actor: Actor) -> QuerySet:
        return transaction_visible_queryset(actor=actor)


def _own(*names: str) -> tuple[Column, ...]:
    """Columns of the model's own fields, headed by the fields' names."""
    return tuple(Column(name, name) for name in names)


_ID = Column("id", "id", gettext_lazy("KAM ID"))
_ACCOUNT_OF_ROW = (
    Column("account_external_id", "account__external_id", gettext_lazy("Account external ID")),
    Column("account_name", "account__name", gettext_lazy("Account name")),
)

EXPORTS: dict[str, ExportSpec] = {
    "accounts": _Accounts(
        name="accounts",
        model=Account,
        columns=(
            _ID, *_own("external_id"), Column("name", "name", gettext_lazy("Account name")),
            *_own("short_name", "unified_social_credit_code", "industry", "province", "city",
                  "employee_count", "annual_revenue_band", "development_stage"),
            Column("parent_external_id", "parent__external_id",
                   gettext_lazy("Parent account external ID")),
            Column("parent_name", "parent__name", gettext_lazy("Parent account name")),
            Column("owner", "owner__user__username", gettext_lazy("Owner")),
            *_own("lifecycle_status", "strategic_value", "credit_rating", "language",
                  "business_scope", "notes"),
            Column("revenue_12m", "figures__revenue_12m", gettext_lazy("Revenue, last 12 months")),
            Column("created_at", "created_at"), Column("updated_at", "updated_at"),
        ),
        filterset=AccountFilter,
        order=("name", "id"),
    ),
    "contacts": _Contacts(
        name="contacts",
        model=Contact,
        columns=(
            _ID, *_own("external_id"), *_ACCOUNT_OF_ROW,
            Column("name", "name", pgettext_lazy("person", "Name")),
            *_own("title", "department", "level", "buying_role", "relationship_strength", "phone",
                  "email", "wechat_id", "birthday", "birthday_is_lunar", "birthday_lunar_leap",
                  "is_active", "left_on", "care_opt_out", "notes"),
        ),
        filterset=ContactListFilter,
        order=("account__name", "name", "id"),
    ),
    "transactions": _Transactions(
        name="transactions",
        model=Transaction,
        columns=(
            _ID, *_own("external_id"), *_ACCOUNT_OF_ROW,
            *_own("date", "amount", "gross_margin", "product_line"),
            Column("refund_of_external_id", "refund_of__external_id",
                   gettext_lazy("Refund of (external ID)")),
        ),
        filterset=TransactionListFilter,
        order=("-date", "-id"),
    ),
}


class ExportFilterError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid filters")
        self.errors = errors


def export_queryset(*, kind: str, actor: Actor, params: Any, request: HttpRequest | None = None
                    ) -> tuple[ExportSpec, QuerySet]:
    """The filtered, visible rows of one export, as a values_list queryset (not evaluated)."""
    spec = EXPORTS[kind]
    # The list pages' own filters (the contact and transaction ones also take the actor, to offer
    # only visible accounts), so an export holds exactly what the page showed.
    extra = {} if spec.filterset is AccountFilter else {"actor": actor}
    filterset = spec.filterset(params, queryset=spec.queryset(actor), request=request, **extra)
    if not filterset.is_valid():
        raise ExportFilterError({k: [str(m) for m in v] for k, v in filterset.errors.items()})
    qs = filterset.qs.order_by(*spec.order).values_list(*(c.path for c in spec.columns))
    return spec, qs


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        # In the tenant's zone, like the pages (the rows are read inside the tenant).
        return value.astimezone(clock.tenant_zone()).strftime("%Y-%m-%d %H:%M:%S")
    return value


def export_rows(spec: ExportSpec, qs: QuerySet, *, keys: bool = False) -> Iterator[list[Any]]:
    """The header row (labels in the active language, or the keys) and the rows, read lazily. A
    streamed CSV is read after the view (and the request's tenant and language) has gone, so the
    rows are read inside the tenant, and the header is written in the language, of the moment
    they were asked for."""
    tenant = get_current_tenant()
    header = spec.headers(keys=keys)

    def rows() -> Iterator[list[Any]]:
        with tenant_context(tenant):
            yield header
            for row in qs.iterator(chunk_size=CHUNK):
                yield [_cell(v) for v in row]

    return rows()
