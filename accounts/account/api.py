"""API v1: accounts (/api/v1/accounts/) — the profile fields, the tier fields (tiering.api's
shapes) and, on retrieve, the derived figures."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers

from accounts.account.filters import AccountFilter
from accounts.account.models import Account
from accounts.account.selectors import account_list_queryset
from accounts.account.services import account_create, account_delete, account_update
from accounts.figures.models import AccountFigures
from accounts.tiering.api import (
    TierBreakdownSerializer,
    TierOverrideSerializer,
    breakdown_data,
)
from accounts.tiering.models import Tier
from accounts.tiering.selectors import account_tier_breakdowns, account_tier_state
from kam.api import CreateMixin, DestroyMixin, JsonTypedSerializer, TenantViewSet, UpdateMixin, routes
from kam.models import Membership
from kam.roles import Actor


class AccountListSerializer(serializers.ListSerializer):
    """A page of accounts: every tiered account's breakdown in one query (not one per row)."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        items = list(data.all() if hasattr(data, "all") else data)
        self.context["tier_breakdowns"] = account_tier_breakdowns(items)
        return super().to_representation(items)


class AccountSerializer(JsonTypedSerializer):
    # Querysets are managers: evaluated per request, so scoped to the request's tenant.
    # Another tenant's id is "does not exist" -> 400.
    owner = serializers.PrimaryKeyRelatedField(queryset=Membership.objects, allow_null=True,
                                               required=False)
    parent = serializers.PrimaryKeyRelatedField(queryset=Account.objects, allow_null=True,
                                                required=False)
    owner_name = serializers.SerializerMethodField()
    parent_name = serializers.SerializerMethodField()
    # Tiering (kept by the nightly job; read-only: sent in a body they are ignored like any other
    # read-only field). null until the account's first tiering.
    tier = serializers.ChoiceField(
        source="tier_state.tier", choices=Tier.choices, read_only=True, allow_null=True,
        help_text="The effective tier: an unexpired manual override, else the computed tier.")
    computed_tier = serializers.ChoiceField(
        source="tier_state.computed_tier", choices=Tier.choices, read_only=True, allow_null=True,
        help_text="The tier the score gives (with the move-down margin), override or not.")
    tier_score = serializers.DecimalField(
        source="tier_state.score", max_digits=5, decimal_places=2, read_only=True,
        allow_null=True, help_text="0–100, as of the last tiering run.")
    tier_policy_version = serializers.IntegerField(
        source="tier_state.policy.version", read_only=True, allow_null=True,
        help_text="The policy version the stored tier was computed with.")
    tier_override = serializers.SerializerMethodField(
        help_text="The manual tier, if one is set (null otherwise).")
    tier_breakdown = serializers.SerializerMethodField(
        help_text="Why: each criterion's value, points, weight and contribution under the current "
        "policy, and the distance to the next cut-off up and down. Computed now from the current "
        "figures, so it can differ from the stored tier until the next nightly run.")

    class Meta:
        model = Account
        fields = [
            "id", "name", "short_name", "unified_social_credit_code", "industry", "province",
            "city", "employee_count", "annual_revenue_band", "business_scope",
            "development_stage", "parent", "parent_name", "owner", "owner_name",
            "lifecycle_status", "strategic_value", "credit_rating", "language", "notes",
            "external_id", "created_at", "updated_at",
            "tier", "computed_tier", "tier_score", "tier_policy_version", "tier_override",
            "tier_breakdown",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        list_serializer_class = AccountListSerializer

    def get_owner_name(self, obj: Account) -> str | None:
        return obj.owner.display_name if obj.owner_id else None

    def get_parent_name(self, obj: Account) -> str | None:
        return obj.parent.name if obj.parent_id else None

    @extend_schema_field(TierOverrideSerializer(allow_null=True))
    def get_tier_override(self, obj: Account) -> dict[str, Any] | None:
        state = account_tier_state(obj)
        if state is None or not state.override_tier:
            return None
        return TierOverrideSerializer({
            "tier": state.override_tier, "reason": state.override_reason,
            "until": state.override_until,
            "set_by": state.override_by.display_name if state.override_by_id else None,
            "set_at": state.override_at}).data

    @extend_schema_field(TierBreakdownSerializer(allow_null=True))
    def get_tier_breakdown(self, obj: Account) -> dict[str, Any] | None:
        if account_tier_state(obj) is None:
            return None
        breakdowns = self.context.get("tier_breakdowns")
        if breakdowns is None:  # one account (retrieve, create, update): its own query
            breakdowns = self.context["tier_breakdowns"] = account_tier_breakdowns([obj])
        bd = breakdowns.get(obj.pk)
        return breakdown_data(bd) if bd is not None else None



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
class AccountViewSet(mixins.ListModelMixin, CreateMixin, mixins.RetrieveModelMixin,
                     UpdateMixin, DestroyMixin, TenantViewSet):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["name", "short_name"]
    ordering_fields = ["id", "name", "created_at", "updated_at", "strategic_value"]
    ordering = ["-id"]
    model = Account

    def scoped_queryset(self, actor: Actor):
        # The tier state (its policy, the override's author) joined: no query per row.
        qs = account_list_queryset(actor=actor).select_related(
            "tier_state__policy", "tier_state__override_by__user")
        if self.action == "retrieve":
            # Figures only on retrieve: the list's query stays as it is.
            return qs.select_related("figures")
        return qs

    def get_serializer_class(self):
        return AccountDetailSerializer if self.action == "retrieve" else AccountSerializer

    def create_object(self, data: dict[str, Any]) -> Account:
        return account_create(actor=self.actor, data=data)

    def update_object(self, instance: Account, data: dict[str, Any]) -> Account:
        return account_update(actor=self.actor, account=instance, data=data)

    def delete_object(self, instance: Account) -> None:
        account_delete(actor=self.actor, account=instance)


routes.register("accounts", AccountViewSet, basename="account")
