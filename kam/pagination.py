"""Keyset (cursor) pagination for pages: the cost of page 1000 is the cost of page 1."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class TenantCursorPagination(CursorPagination):
    """API lists: keyset pagination, the same few queries on any page and at any page size."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

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


def _encode(values: list[Any], offset: int) -> str:
    raw = json.dumps({"v": values, "n": offset}, ensure_ascii=False, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, width: int) -> tuple[list[Any], int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        values, offset = data["v"], int(data["n"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeysetError("bad cursor") from exc
    if not isinstance(values, list) or len(values) != width or offset < 0:
        raise KeysetError("bad cursor")
    return values, offset


def _typed(model: type, order: tuple[str, ...], values: list[Any]) -> list[Any]:
    """Each cursor value as its field's Python type, so a tampered cursor is a KeysetError here
    rather than a database error later."""
    typed = []
    for field_name, value in zip(order, values, strict=True):
        field = model._meta.get_field(field_name.lstrip("-"))
        try:
            typed.append(field.to_python(value))
            if typed[-1] is None:
                raise KeysetError("bad cursor")
        except (DjangoValidationError, TypeError, ValueError) as exc:
            raise KeysetError("bad cursor") from exc
    return typed


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, size: int
                ) -> KeysetPage:
    """One page after ``cursor`` in ``order`` (last field unique; a leading "-" sorts that field
    descending, e.g. ``("-date", "-id")``). Two queries."""
    total = qs.count()
    offset = 0
    qs = qs.order_by(*order)
    if cursor:
        values, offset = _decode(cursor, len(order))
        values = _typed(qs.model, order, values)
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
        last = items[-1]
        next_cursor = _encode([getattr(last, f.lstrip("-")) for f in order], offset + size)
    return KeysetPage(items=items, total=total, offset=offset, next_cursor=next_cursor)
