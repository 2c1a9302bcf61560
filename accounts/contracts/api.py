"""API v1: contracts (/api/v1/contracts/) and their renewals-due list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.account.models import Account
from accounts.contracts.filters import ContractFilter
from accounts.contracts.models import Contract
from accounts.contracts.selectors import contract_visible_queryset, renewals_due
from accounts.contracts.services import contract_create, contract_delete, contract_update
from kam.api import (
    CreateMixin,
    DestroyMixin,
    JsonTypedSerializer,
    TenantCursorPagination,
    TenantViewSet,
    UpdateMixin,
    routes,
)
from kam.roles import Actor


class ContractSerializer(JsonTypedSerializer):
    # A manager, not a queryset: evaluated per request, so scoped to the request's tenant.
    # Another tenant's id is "does not exist" -> 400.
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    account_name = serializers.SerializerMethodField()
    # Declared so the schema states the rule the service enforces (contract_value_not_negative).
    value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"))

    class Meta:
        model = Contract
        fields = [
            "id", "account", "account_name", "number", "title", "start_date", "end_date",
            "value", "payment_terms_days", "status", "renewal_notice_days", "notes",
            "external_id", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is a service rule (a field error on "number"), not a serializer one.
        validators: list = []

    def get_account_name(self, obj: Contract) -> str:
        return obj.account.name



class RenewalsDuePagination(TenantCursorPagination):
    ordering = ("end_date", "id")


@extend_schema_view(
    list=extend_schema(summary="List contracts", description="Cursor-paginated; contracts of "
                       "the accounts the caller may see."),
    create=extend_schema(summary="Create a contract"),
    retrieve=extend_schema(summary="Get a contract"),
    update=extend_schema(summary="Replace a contract"),
    partial_update=extend_schema(summary="Update a contract"),
    destroy=extend_schema(summary="Delete a contract"),
)
class ContractViewSet(mixins.ListModelMixin, CreateMixin, mixins.RetrieveModelMixin,
                      UpdateMixin, DestroyMixin, TenantViewSet):
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    search_fields = ["number", "title"]
    ordering_fields = ["id", "number", "start_date", "end_date", "value", "created_at",
                       "updated_at"]
    ordering = ["-id"]
    model = Contract

    def scoped_queryset(self, actor: Actor) -> QuerySet[Contract]:
        return contract_visible_queryset(actor=actor)

    def create_object(self, data: dict[str, Any]) -> Contract:
        return contract_create(actor=self.actor, data=data)

    def update_object(self, instance: Contract, data: dict[str, Any]) -> Contract:
        return contract_update(actor=self.actor, contract=instance, data=data)

    def delete_object(self, instance: Contract) -> None:
        contract_delete(actor=self.actor, contract=instance)

    @extend_schema(summary="Contracts due for renewal",
                   description="Active contracts inside their renewal notice period and not yet "
                   "ended (today in the tenant's time zone), soonest end first.",
                   responses=ContractSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="renewals-due", url_name="renewals-due",
            filter_backends=[], pagination_class=RenewalsDuePagination)
    def renewals_due_list(self, request: Request, format: str | None = None) -> Response:
        # ``format``: the router's ".json" suffix URL passes it (without it, a 500).
        actor = self.actor
        # The same tenant re-filter get_queryset applies: belt and braces over the manager.
        qs = renewals_due(actor=actor).filter(tenant_id=actor.tenant.pk)
        page = self.paginate_queryset(qs)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)


routes.register("contracts", ContractViewSet, basename="contract")
