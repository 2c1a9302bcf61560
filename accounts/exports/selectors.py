"""Streamed export of any filtered account, contact or transaction list, as CSV or Excel.

The filters are the list pages' and the API's own FilterSets, and visibility is the actor's, so an
export never holds a row its user could not see on screen. Rows are read with a server-side cursor
(``iterator``), so memory stays flat whatever the size: CSV is streamed to the client as it is
produced; Excel is written by XlsxWriter's constant-memory mode row by row to a temporary file, then
streamed from disk. Codes (not labels) are exported so a file can be imported back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.account.filters import AccountFilter
from accounts.account.selectors import account_visible_queryset
from accounts.contacts.filters import ContactListFilter
from accounts.contacts.selectors import contact_visible_queryset
from accounts.transactions.filters import TransactionListFilter
from accounts.transactions.selectors import transaction_visible_queryset
from kam import clock
from kam.roles import Actor
from kam.tenancy import get_current_tenant, tenant_context

CHUNK = 2000


@dataclass(frozen=True)
class ExportSpec:
    name: str
    columns: tuple[tuple[str, str], ...]  # (header, ORM path for values_list)
    filterset: type
    order: tuple[str, ...]

    def queryset(self, actor: Actor) -> QuerySet:
        raise NotImplementedError


class _Accounts(ExportSpec):
    def queryset(self, actor: Actor) -> QuerySet:
        return account_visible_queryset(actor=actor)


class _Contacts(ExportSpec):
    def queryset(self, actor: Actor) -> QuerySet:
        return contact_visible_queryset(actor=actor)


class _Transactions(ExportSpec):
    def queryset(self, actor: Actor) -> QuerySet:
        return transaction_visible_queryset(actor=actor)


EXPORTS: dict[str, ExportSpec] = {
    "accounts": _Accounts(
        name="accounts",
        columns=(
            ("id", "id"), ("external_id", "external_id"), ("name", "name"),
            ("short_name", "short_name"),
            ("unified_social_credit_code", "unified_social_credit_code"),
            ("industry", "industry"), ("province", "province"), ("city", "city"),
            ("employee_count", "employee_count"), ("annual_revenue_band", "annual_revenue_band"),
            ("development_stage", "development_stage"),
            ("parent_external_id", "parent__external_id"), ("parent_name", "parent__name"),
            ("owner", "owner__user__username"), ("lifecycle_status", "lifecycle_status"),
            ("strategic_value", "strategic_value"), ("credit_rating", "credit_rating"),
            ("business_scope", "business_scope"), ("notes", "notes"),
            ("revenue_12m", "figures__revenue_12m"), ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        ),
        filterset=AccountFilter,
        order=("name", "id"),
    ),
    "contacts": _Contacts(
        name="contacts",
        columns=(
            ("id", "id"), ("external_id", "external_id"),
            ("account_external_id", "account__external_id"), ("account_name", "account__name"),
            ("name", "name"), ("title", "title"), ("department", "department"),
            ("level", "level"), ("buying_role", "buying_role"),
            ("relationship_strength", "relationship_strength"), ("phone", "phone"),
            ("email", "email"), ("wechat_id", "wechat_id"), ("birthday", "birthday"),
            ("birthday_is_lunar", "birthday_is_lunar"), ("is_active", "is_active"),
            ("left_on", "left_on"), ("notes", "notes"),
        ),
        filterset=ContactListFilter,
        order=("account__name", "name", "id"),
    ),
    "transactions": _Transactions(
        name="transactions",
        columns=(
            ("id", "id"), ("external_id", "external_id"),
            ("account_external_id", "account__external_id"), ("account_name", "account__name"),
            ("date", "date"), ("amount", "amount"), ("gross_margin", "gross_margin"),
            ("product_line", "product_line"), ("refund_of_external_id", "refund_of__external_id"),
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
    qs = filterset.qs.order_by(*spec.order).values_list(*(path for _h, path in spec.columns))
    return spec, qs


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        # In the tenant's zone, like the pages (the rows are read inside the tenant).
        return value.astimezone(clock.tenant_zone()).strftime("%Y-%m-%d %H:%M:%S")
    return value


def export_rows(spec: ExportSpec, qs: QuerySet) -> Iterator[list[Any]]:
    """The rows, read lazily. A streamed CSV is read after the view (and the request's tenant)
    has gone, so the rows are read inside the tenant of the moment they were asked for."""
    tenant = get_current_tenant()

    def rows() -> Iterator[list[Any]]:
        with tenant_context(tenant):
            yield [header for header, _path in spec.columns]
            for row in qs.iterator(chunk_size=CHUNK):
                yield [_cell(v) for v in row]

    return rows()
