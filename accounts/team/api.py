"""API v1: account teams (/api/v1/account-team/)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from accounts.account.filters import tenant_accounts, tenant_members
from accounts.account.models import Account
from accounts.team.models import AccountTeamMember
from accounts.team.selectors import team_queryset
from accounts.team.services import team_member_add, team_member_remove
from kam.api import CreateMixin, DestroyMixin, JsonTypedSerializer, TenantViewSet, routes
from kam.models import Membership
from kam.roles import Actor


class AccountTeamFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Account"))
    membership = django_filters.ModelChoiceFilter(queryset=tenant_members, label=_("Member"))

    class Meta:
        model = AccountTeamMember
        fields = ["account", "membership"]


class AccountTeamMemberSerializer(JsonTypedSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    membership = serializers.PrimaryKeyRelatedField(queryset=Membership.objects)
    account_name = serializers.SerializerMethodField()
    member_name = serializers.SerializerMethodField()

    class Meta:
        model = AccountTeamMember
        fields = ["id", "account", "account_name", "membership", "member_name", "team_role",
                  "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []

    def get_account_name(self, obj: AccountTeamMember) -> str:
        return obj.account.name

    def get_member_name(self, obj: AccountTeamMember) -> str:
        return obj.membership.display_name



@extend_schema_view(
    list=extend_schema(summary="List account team members"),
    create=extend_schema(summary="Add a member to an account's team"),
    retrieve=extend_schema(summary="Get an account team member"),
    destroy=extend_schema(summary="Remove a member from an account's team"),
)
class AccountTeamViewSet(mixins.ListModelMixin, CreateMixin, mixins.RetrieveModelMixin,
                         DestroyMixin, TenantViewSet):
    serializer_class = AccountTeamMemberSerializer
    filterset_class = AccountTeamFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]
    model = AccountTeamMember

    def scoped_queryset(self, actor: Actor):
        return team_queryset(actor=actor)

    def create_object(self, data: dict[str, Any]) -> AccountTeamMember:
        return team_member_add(actor=self.actor, account=data["account"],
                               membership=data["membership"], team_role=data["team_role"])

    def delete_object(self, instance: AccountTeamMember) -> None:
        team_member_remove(actor=self.actor, member=instance)


routes.register("account-team", AccountTeamViewSet, basename="account-team")
