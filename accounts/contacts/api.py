"""API v1: contacts (/api/v1/contacts/)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers

from accounts.account.models import Account
from accounts.contacts.filters import ContactFilter
from accounts.contacts.models import Contact
from accounts.contacts.selectors import contact_search, contact_visible_queryset
from accounts.contacts.services import contact_create, contact_delete, contact_update
from kam.api import CreateMixin, DestroyMixin, JsonTypedSerializer, TenantViewSet, UpdateMixin, routes
from kam.api.input import ApiFilterBackend, ApiOrderingFilter
from kam.roles import Actor


class ContactSerializer(JsonTypedSerializer):
    # A manager, not a queryset: evaluated per request, so scoped to the request's tenant.
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    account_name = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id", "account", "account_name", "name", "title", "department", "level",
            "buying_role", "relationship_strength", "phone", "email", "wechat_id", "birthday",
            "birthday_is_lunar", "birthday_lunar_leap", "is_active", "left_on", "care_opt_out",
            "notes", "external_id", "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "birthday_lunar_leap": {"help_text": "A lunar birthday in a leap month (闰月): in "
                                    "years without it, the ordinary month. Only with "
                                    "`birthday_is_lunar` (else a 400)."},
            "care_opt_out": {"help_text": "No birthday or festival reminders for this contact."},
        }
        # Uniqueness is the service's job (with field errors); DRF's generated validators
        # would query outside it.
        validators: list = []

    def get_account_name(self, obj: Contact) -> str:
        return obj.account.name



class ContactSearchFilter(filters.SearchFilter):
    """``?search=``: the contact list page's search (``contact_search``: every word in the name,
    email or phone; a phone number by its digits), so the API and the page find the same."""

    search_description = "Words that must each be in the name, email or phone; a phone number " \
        "is matched by its digits whatever the separators."

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        # DRF's terms: NUL characters dropped, split on spaces and commas.
        return contact_search(queryset, " ".join(self.get_search_terms(request)))


@extend_schema_view(
    list=extend_schema(summary="List contacts", description="Cursor-paginated; the contacts of "
                       "the accounts the caller can see."),
    create=extend_schema(summary="Create a contact"),
    retrieve=extend_schema(summary="Get a contact"),
    update=extend_schema(summary="Replace a contact"),
    partial_update=extend_schema(summary="Update a contact"),
    destroy=extend_schema(summary="Delete a contact"),
)
class ContactViewSet(mixins.ListModelMixin, CreateMixin, mixins.RetrieveModelMixin,
                     UpdateMixin, DestroyMixin, TenantViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    # ?search= is the contact list's search (ContactSearchFilter): these fields only document it.
    filter_backends = [ApiFilterBackend, ContactSearchFilter, ApiOrderingFilter]
    search_fields = ["name", "email", "phone"]
    ordering_fields = ["id", "name", "created_at", "updated_at", "relationship_strength"]
    ordering = ["-id"]
    model = Contact

    def scoped_queryset(self, actor: Actor):
        return contact_visible_queryset(actor=actor)

    def create_object(self, data: dict[str, Any]) -> Contact:
        return contact_create(actor=self.actor, data=data)

    def update_object(self, instance: Contact, data: dict[str, Any]) -> Contact:
        return contact_update(actor=self.actor, contact=instance, data=data)

    def delete_object(self, instance: Contact) -> None:
        contact_delete(actor=self.actor, contact=instance)


routes.register("contacts", ContactViewSet, basename="contact")
