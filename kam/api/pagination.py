"""API lists: keyset (cursor) pagination, the same few queries on any page and at any page size."""

from __future__ import annotations

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
