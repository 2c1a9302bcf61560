"""The contracts REST API (/api/v1/contracts/) and its renewals-due list."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.contracts import (
    contract_create,
    contract_delete,
    contract_update,
    contract_visible_queryset,
    contracts_filter_renewal_due,
    renewals_due,
    tenant_today,
)
from accounts.models import Account, Contract, ContractStatus
from kam.api import JsonTypedSerializer, TenantViewSet
from kam.pagination import TenantCursorPagination
from kam.roles import Actor


def _accounts(request) -> QuerySet[Account]:
    # Called per request, so the scoped manager sees the request's tenant.
    return Account.objects.all()


class ContractFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=_accounts, label=_("Account"))
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=_("External ID"))
    number = django_filters.CharFilter(lookup_expr="exact", label=_("Contract number"))
    renewal_due = django_filters.BooleanFilter(method="filter_renewal_due",
                                               label=_("Renewal due"))

    class Meta:
        model = Contract
        fields = ["account", "status", "external_id", "number", "renewal_due"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_renewal_due(self, queryset: QuerySet[Contract], name: str,
                           value: bool | None) -> QuerySet[Contract]:
        if value is None:
            return queryset
        actor: Actor = self.request.auth
        return contracts_filter_renewal_due(queryset, today=tenant_today(actor.tenant), due=value)


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

    def _actor(self) -> Actor:
        return self.context["request"].auth

    def create(self, validated_data: dict) -> Contract:
        return contract_create(actor=self._actor(), data=validated_data)

    def update(self, instance: Contract, validated_data: dict) -> Contract:
        return contract_update(actor=self._actor(), contract=instance, data=validated_data)


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
class ContractViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                      mixins.UpdateModelMixin, mixins.DestroyModelMixin, TenantViewSet):
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    search_fields = ["number", "title"]
    ordering_fields = ["id", "number", "start_date", "end_date", "value", "created_at",
                       "updated_at"]
    ordering = ["-id"]
    model = Contract

    def scoped_queryset(self, actor: Actor) -> QuerySet[Contract]:
        return contract_visible_queryset(actor=actor)

    def perform_destroy(self, instance: Contract) -> None:
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
