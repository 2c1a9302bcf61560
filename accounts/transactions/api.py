"""API v1: transactions (/api/v1/transactions/) and their bulk upsert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.account.models import Account
from accounts.transactions.filters import TransactionFilter
from accounts.transactions.models import Transaction
from accounts.transactions.selectors import transaction_visible_queryset
from accounts.transactions.services import (
    BULK_MAX_ROWS,
    BulkValidationError,
    transaction_bulk_upsert,
    transaction_create,
    transaction_delete,
    transaction_update,
)
from kam.api import (
    NOT_BLANK_TEXT,
    CreateMixin,
    DestroyMixin,
    JsonTypedSerializer,
    TenantViewSet,
    UpdateMixin,
    decimal_pattern,
    routes,
)
from kam.roles import Actor


class TransactionSerializer(JsonTypedSerializer):
    # Managers, not querysets: evaluated per request, so scoped to the request's tenant (a
    # generated field would touch the scoped manager at import). Another tenant's id -> 400.
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    refund_of = serializers.PrimaryKeyRelatedField(queryset=Transaction.objects, allow_null=True,
                                                   required=False)

    class Meta:
        model = Transaction
        fields = ["id", "account", "date", "amount", "gross_margin", "product_line", "refund_of",
                  "external_id", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is a service rule (a field error on "external_id"), not a serializer one.
        validators: list = []



class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


_MARGIN = serializers.DecimalField(max_digits=16, decimal_places=2)


@extend_schema_field({
    "oneOf": [{"type": "string", "format": "decimal", "pattern": decimal_pattern(_MARGIN)},
              {"type": "integer", "minimum": -(10**14 - 1), "maximum": 10**14 - 1},
              {"type": "string", "maxLength": 0}],
    "nullable": True, "description": "Empty or null: no margin."})
class BulkMarginField(serializers.DecimalField):
    """A bulk row's gross margin: like the amount, or empty."""


class BulkTransactionRowSerializer(serializers.Serializer):
    """One row of a bulk upsert (documentation only: transaction_bulk_upsert parses the rows).
    Unknown fields are an error, and refunds are not imported in bulk."""

    # kam.api.TenantAutoSchema: rows with other fields are rejected, so the schema says so.
    schema_additional_properties = False

    account = serializers.IntegerField()
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"))
    gross_margin = BulkMarginField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    product_line = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                         allow_null=True)
    external_id = serializers.RegexField(NOT_BLANK_TEXT, max_length=100,
                                         help_text="Required, unique within the request.")


class BulkRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The row's position in the request, from 0.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BulkErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = serializers.ListField(child=BulkRowErrorSerializer(), required=False,
                                   help_text="The invalid rows (empty when the body as a whole "
                                   "is wrong: not a list, too many rows).")


@extend_schema_view(
    list=extend_schema(summary="List transactions", description="Cursor-paginated; "
                       "transactions of the accounts the caller may see."),
    create=extend_schema(summary="Create a transaction (or a refund with refund_of)"),
    retrieve=extend_schema(summary="Get a transaction"),
    update=extend_schema(summary="Replace a transaction"),
    partial_update=extend_schema(summary="Update a transaction"),
    destroy=extend_schema(summary="Delete a transaction"),
)
class TransactionViewSet(mixins.ListModelMixin, CreateMixin,
                         mixins.RetrieveModelMixin, UpdateMixin,
                         DestroyMixin, TenantViewSet):
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    search_fields: list[str] = []
    ordering_fields = ["id", "date", "amount", "created_at", "updated_at"]
    ordering = ["-id"]
    model = Transaction

    def scoped_queryset(self, actor: Actor) -> QuerySet[Transaction]:
        return transaction_visible_queryset(actor=actor)

    def create_object(self, data: dict[str, Any]) -> Transaction:
        return transaction_create(actor=self.actor, data=data)

    def update_object(self, instance: Transaction, data: dict[str, Any]) -> Transaction:
        return transaction_update(actor=self.actor, tx=instance, data=data)

    def delete_object(self, instance: Transaction) -> None:
        transaction_delete(actor=self.actor, tx=instance)

    @extend_schema(
        summary="Insert or update transactions by external_id",
        description=f"A JSON list of up to {BULK_MAX_ROWS:,} objects {{account, date, amount, "
        "gross_margin, product_line, external_id}. All rows are validated first; any invalid "
        "row rejects the whole request (400 with errors per row index) and nothing is written. "
        "Rows equal to what is stored count as unchanged.",
        request=BulkTransactionRowSerializer(many=True),
        responses={200: BulkResultSerializer,
                   400: OpenApiResponse(BulkErrorSerializer, description="Invalid rows")},
    )
    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk",
            filter_backends=[], pagination_class=None)
    def bulk(self, request: Request, format: str | None = None) -> Response:
        # ``format``: the router's ".json" suffix URL passes it (without it, a 500).
        actor = self.actor
        rows = request.data
        if not isinstance(rows, list):
            return Response({"message": _("The body must be a JSON list of transactions."),
                             "errors": []}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = transaction_bulk_upsert(actor=actor, rows=rows)
        except BulkValidationError as exc:
            return Response({"message": exc.message, "errors": exc.rows},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(result, status=status.HTTP_200_OK)


routes.register("transactions", TransactionViewSet, basename="transaction")
