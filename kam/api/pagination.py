"""API lists: keyset (cursor) pagination, the same few queries on any page and at any page size."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib import parse

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.fields import IntegerField
from rest_framework.pagination import Cursor, CursorPagination

# A cursor DRF makes holds an offset, a direction and the position of the last row (a value of
# the first ordering field, e.g. a 200-character name, percent-encoded): well under this.
MAX_CURSOR_LENGTH = 4096


def invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [_("Invalid cursor.")]})


def parse_page_size(raw: str | None, *, default: int, maximum: int, name: str = "page_size") -> int:
    """A page size from the query string: ASCII digits, 1 to ``maximum``; anything else (empty,
    " 5", "²", "1.0") is a 400 naming the parameter. None: the default."""
    if raw is None:
        return default
    field = IntegerField(min_value=1, max_value=maximum)
    try:
        if not raw.isascii() or not raw.isdigit():
            field.fail("invalid")
        return field.run_validation(raw)
    except ValidationError as exc:
        raise ValidationError({name: exc.detail}) from exc


def _ordering_field(model: type[models.Model], path: str) -> models.Field | None:
    """The model field at the end of an ordering path (``name``, ``account__name``)."""
    field: Any = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field if isinstance(field, models.Field) else None


class TenantCursorPagination(CursorPagination):
    """API lists: keyset pagination, the same few queries on any page and at any page size.

    The cursor is opaque and only ever comes from a ``next``/``previous`` link. DRF reads a
    tampered one leniently (base64 that ignores what is not base64, any offset, ``r=2``) and puts its
    position straight into the query, where a position that is no value of the ordering field
    (``p=abc`` for an id) is a 500. Here a cursor is exactly what DRF writes, or a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = queryset.model  # the position is checked against the ordering field's type
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        # DRF ignores a page_size it cannot use; here it is bad input like any other (400), and
        # the schema says what is accepted (below).
        return parse_page_size(request.query_params.get(self.page_size_query_param),
                               default=self.page_size, maximum=self.max_page_size,
                               name=self.page_size_query_param)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1,
                                       "maximum": self.max_page_size}
        return parameters

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        if len(encoded) > MAX_CURSOR_LENGTH:
            raise invalid_cursor()
        try:
            querystring = base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True,
                                    errors="strict", max_num_fields=3)
        except (UnicodeError, binascii.Error, ValueError) as exc:  # ValueError: parse_qs' own
            raise invalid_cursor() from exc
        # What DRF's encode_cursor writes: o (a positive offset), r=1 (reversed), p (a position),
        # each at most once, nothing else.
        if not tokens or set(tokens) - {"o", "r", "p"} or any(len(v) != 1 for v in tokens.values()):
            raise invalid_cursor()
        offset_text = tokens.get("o", ["0"])[0]
        if not (offset_text.isascii() and offset_text.isdigit()) or len(offset_text) > 9:
            raise invalid_cursor()
        if tokens.get("r", ["1"])[0] != "1":
            raise invalid_cursor()
        position = tokens.get("p", [None])[0]
        if position is not None:
            self._check_position(position)
        # DRF caps the offset (offset_cutoff) rather than refusing it: a list with more equal
        # positions in a row than that still pages, if not exactly.
        return Cursor(offset=min(int(offset_text), self.offset_cutoff), reverse="r" in tokens,
                      position=position)

    def _check_position(self, position: str) -> None:
        """The position is a value of the first ordering field, written as DRF writes one
        (``str()`` of the value), that PostgreSQL can compare: else the query would fail."""
        if "\x00" in position:  # PostgreSQL text cannot hold NUL
            raise invalid_cursor()
        model = getattr(self, "_model", None)
        field = _ordering_field(model, self.ordering[0].lstrip("-")) if model is not None else None
        if field is None:
            return
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
            raise invalid_cursor() from exc
        if value is None or str(value) != position:
            raise invalid_cursor()
        if isinstance(field, models.IntegerField):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                raise invalid_cursor()
