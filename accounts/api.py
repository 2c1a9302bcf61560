from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from accounts.filters import AccountFilter
from accounts.models import Account, AccountFigures
from accounts.selectors import account_list_queryset
from accounts.services import account_create, account_delete, account_update
from kam.api import JsonTypedSerializer, TenantViewSet
from kam.models import Membership
from kam.roles import Actor


class AccountSerializer(JsonTypedSerializer):
    # Querysets are managers: evaluated per request, so scoped to the request's tenant.
    # Another tenant's id is "does not exist" -> 400.
    owner = serializers.PrimaryKeyRelatedField(queryset=Membership.objects, allow_null=True,
                                               required=False)
    parent = serializers.PrimaryKeyRelatedField(queryset=Account.objects, allow_null=True,
                                                required=False)
    owner_name = serializers.SerializerMethodField()
    parent_name = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id", "name", "short_name", "unified_social_credit_code", "industry", "province",
            "city", "employee_count", "annual_revenue_band", "business_scope",
            "development_stage", "parent", "parent_name", "owner", "owner_name",
            "lifecycle_status", "strategic_value", "credit_rating", "notes", "external_id",
            "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_owner_name(self, obj: Account) -> str | None:
        return obj.owner.display_name if obj.owner_id else None

    def get_parent_name(self, obj: Account) -> str | None:
        return obj.parent.name if obj.parent_id else None

    def _actor(self) -> Actor:
        return self.context["request"].auth

    def create(self, validated_data: dict) -> Account:
        return account_create(actor=self._actor(), data=validated_data)

    def update(self, instance: Account, validated_data: dict) -> Account:
        return account_update(actor=self._actor(), account=instance, data=validated_data)


class AccountFiguresSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountFigures
        fields = [
            "revenue_12m", "margin_12m", "revenue_prev_12m", "order_count_12m", "order_count",
            "last_order_date", "avg_order_interval_days", "revenue_growth", "revenue_share",
            "computed_at",
        ]
        read_only_fields = fields


class AccountDetailSerializer(AccountSerializer):
    """The retrieve view adds the derived figures (joined in the same query; null until the
    first recompute)."""

    figures = AccountFiguresSerializer(read_only=True, allow_null=True)

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "figures"]


@extend_schema_view(
    list=extend_schema(summary="List accounts", description="Cursor-paginated; managers see "
                       "the accounts they own, admins, executives and API keys see all."),
    create=extend_schema(summary="Create an account"),
    retrieve=extend_schema(summary="Get an account"),
    update=extend_schema(summary="Replace an account"),
    partial_update=extend_schema(summary="Update an account"),
    destroy=extend_schema(summary="Delete an account (administrators and write keys)"),
)
class AccountViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, TenantViewSet):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["name", "short_name"]
    ordering_fields = ["id", "name", "created_at", "updated_at", "strategic_value"]
    ordering = ["-id"]
    model = Account

    def scoped_queryset(self, actor: Actor):
        if self.action == "retrieve":
            # Figures only on retrieve: the list's query stays as it is.
            return account_list_queryset(actor=actor).select_related("figures")
        return account_list_queryset(actor=actor)

    def get_serializer_class(self):
        return AccountDetailSerializer if self.action == "retrieve" else AccountSerializer

    def perform_destroy(self, instance: Account) -> None:
        account_delete(actor=self.actor, account=instance)
