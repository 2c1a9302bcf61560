"""API v1: contacts (/api/v1/contacts/) and account teams (/api/v1/account-team/)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from accounts.contacts import (
    contact_create,
    contact_delete,
    contact_update,
    contact_visible_queryset,
)
from accounts.models import (
    Account,
    AccountTeamMember,
    BuyingRole,
    Contact,
    ContactLevel,
)
from accounts.team import team_member_add, team_member_remove, team_queryset
from kam.api import JsonTypedSerializer, TenantViewSet
from kam.models import Membership
from kam.roles import Actor


def _accounts(request) -> QuerySet[Account]:
    # Called per request, so the tenant is set: another tenant's id is "not a choice" -> 400.
    return Account.objects.all()


def _members(request) -> QuerySet[Membership]:
    return Membership.objects.all()


# --- contacts -----------------------------------------------------------------------------------


class ContactFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=_accounts, label=_("Account"))
    level = django_filters.ChoiceFilter(choices=ContactLevel.choices, label=_("Level"))
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices, label=_("Buying role"))
    is_active = django_filters.BooleanFilter(label=_("Still at the account"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=_("External ID"))

    class Meta:
        model = Contact
        fields = ["account", "level", "buying_role", "is_active", "external_id"]


class ContactSerializer(JsonTypedSerializer):
    # A manager, not a queryset: evaluated per request, so scoped to the request's tenant.
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    account_name = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id", "account", "account_name", "name", "title", "department", "level",
            "buying_role", "relationship_strength", "phone", "email", "wechat_id", "birthday",
            "birthday_is_lunar", "is_active", "left_on", "notes", "external_id", "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is the service's job (with field errors); DRF's generated validators
        # would query outside it.
        validators: list = []

    def get_account_name(self, obj: Contact) -> str:
        return obj.account.name

    def _actor(self) -> Actor:
        return self.context["request"].auth

    def create(self, validated_data: dict) -> Contact:
        return contact_create(actor=self._actor(), data=validated_data)

    def update(self, instance: Contact, validated_data: dict) -> Contact:
        return contact_update(actor=self._actor(), contact=instance, data=validated_data)


@extend_schema_view(
    list=extend_schema(summary="List contacts", description="Cursor-paginated; the contacts of "
                       "the accounts the caller can see."),
    create=extend_schema(summary="Create a contact"),
    retrieve=extend_schema(summary="Get a contact"),
    update=extend_schema(summary="Replace a contact"),
    partial_update=extend_schema(summary="Update a contact"),
    destroy=extend_schema(summary="Delete a contact"),
)
class ContactViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, TenantViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "created_at", "updated_at", "relationship_strength"]
    ordering = ["-id"]
    model = Contact

    def scoped_queryset(self, actor: Actor):
        return contact_visible_queryset(actor=actor)

    def perform_destroy(self, instance: Contact) -> None:
        contact_delete(actor=self.actor, contact=instance)


# --- account team -------------------------------------------------------------------------------


class AccountTeamFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=_accounts, label=_("Account"))
    membership = django_filters.ModelChoiceFilter(queryset=_members, label=_("Member"))

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

    def create(self, validated_data: dict) -> AccountTeamMember:
        return team_member_add(actor=self.context["request"].auth,
                               account=validated_data["account"],
                               membership=validated_data["membership"],
                               team_role=validated_data["team_role"])


@extend_schema_view(
    list=extend_schema(summary="List account team members"),
    create=extend_schema(summary="Add a member to an account's team"),
    retrieve=extend_schema(summary="Get an account team member"),
    destroy=extend_schema(summary="Remove a member from an account's team"),
)
class AccountTeamViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                         mixins.DestroyModelMixin, TenantViewSet):
    serializer_class = AccountTeamMemberSerializer
    filterset_class = AccountTeamFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]
    model = AccountTeamMember

    def scoped_queryset(self, actor: Actor):
        return team_queryset(actor=actor)

    def perform_destroy(self, instance: AccountTeamMember) -> None:
        team_member_remove(actor=self.actor, member=instance)
