"""Keyset (cursor) pagination for pages: the cost of page 1000 is the cost of page 1."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.fields import IntegerField
from rest_framework.pagination import CursorPagination


class TenantCursorPagination(CursorPagination):
    """API lists: keyset pagination, the same few queries on any page and at any page size."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def get_page_size(self, request):
        # DRF ignores a page_size it cannot use; here it is bad input like any other (400), and
        # the schema says what is accepted (below).
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            if not raw.isascii() or not raw.isdigit():
                field.fail("invalid")
            return field.run_validation(raw)
        except ValidationError as exc:
            raise ValidationError({self.page_size_query_param: exc.detail}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1,
                                       "maximum": self.max_page_size}
        return parameters

    def decode_cursor(self, request):
        # A tampered cursor is bad input (400), not a missing resource.
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({"cursor": [str(exc.detail)]}) from exc


class KeysetError(ValueError):
    """The cursor was tampered with or belongs to another ordering."""


@dataclass
class KeysetPage:
    items: list[Any]
    total: int
    offset: int
    next_cursor: str | None

    @property
    def first_index(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.offset + len(self.items)

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def _encode(key: Any, offset: int) -> str:
    # Only the last row's primary key and the offset: the sort values (a contact's name, …) are
    # looked up again on the server, so no personal value ever travels in a "next page" URL.
    raw = json.dumps({"k": key, "n": offset}, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        key, offset = data["k"], int(data["n"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise KeysetError("bad cursor") from exc
    if isinstance(key, (list, dict, bool)) or key is None or offset < 0:
        raise KeysetError("bad cursor")
    return key, offset


def _after_values(qs: QuerySet, order: tuple[str, ...], key: Any) -> list[Any]:
    """The sort values of the row ``key`` (the previous page's last row), read from the list's own
    queryset: one query by primary key. A tampered key, or a row that has gone (deleted, or no
    longer matching the filters, or of another tenant) is a KeysetError."""
    try:
        key = qs.model._meta.pk.to_python(key)
    except (DjangoValidationError, TypeError, ValueError) as exc:
        raise KeysetError("bad cursor") from exc
    if key is None:
        raise KeysetError("bad cursor")
    names = [field.lstrip("-") for field in order]
    try:
        found = list(qs.order_by().filter(pk=key).values_list(*names)[:1])
    except (DjangoValidationError, TypeError, ValueError, OverflowError) as exc:
        raise KeysetError("bad cursor") from exc
    if not found or any(value is None for value in found[0]):
        raise KeysetError("bad cursor")
    return list(found[0])


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, size: int
                ) -> KeysetPage:
    """One page after ``cursor`` in ``order`` (last field unique; a leading "-" sorts that field
    descending, e.g. ``("-date", "-id")``). Two queries on the first page, three after it (the
    cursor holds only the last row's primary key; its sort values are read back by that key).

    The cursor is opaque to the user and carries no value of the row but its id, so sorting by a
    person's name or email never puts them in a URL."""
    total = qs.count()
    offset = 0
    qs = qs.order_by(*order)
    if cursor:
        key, offset = _decode(cursor)
        values = _after_values(qs, order, key)
        after = Q()
        for i, field in enumerate(order):
            name, op = (field[1:], "lt") if field.startswith("-") else (field, "gt")
            step = Q(**{f"{name}__{op}": values[i]})
            for j in range(i):
                step &= Q(**{order[j].lstrip("-"): values[j]})
            after |= step
        qs = qs.filter(after)
    rows = list(qs[: size + 1])
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        next_cursor = _encode(items[-1].pk, offset + size)
    return KeysetPage(items=items, total=total, offset=offset, next_cursor=next_cursor)
