"""Filters of the contact lists: the API's, and the page's (the same names, so the export links
pass the page's query on; account choices limited to the accounts the actor sees)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.account.filters import VisibleAccountsMixin, tenant_accounts
from accounts.contacts.models import BuyingRole, Contact, ContactLevel
from accounts.contacts.selectors import contact_search


class ContactFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Account"))
    level = django_filters.ChoiceFilter(choices=ContactLevel.choices, label=_("Level"))
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices, label=_("Buying role"))
    is_active = django_filters.BooleanFilter(label=_("Still at the account"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=_("External ID"))

    class Meta:
        model = Contact
        fields = ["account", "level", "buying_role", "is_active", "external_id"]


_ACTIVE_CHOICES = (("", _("Current and former")), ("true", _("Still at the account")),
                   ("false", _("Left the account")))


class ContactListFilter(VisibleAccountsMixin, ContactFilter):
    # Filters that may hold personal data (a person's name): never put in a URL. The page POSTs
    # them and links carry an opaque token instead (kam.filter_tokens).
    personal_params = ("q",)

    # Name, email or phone (accounts.contacts.selectors.contact_search); an email has at most 254
    # characters: a longer search cannot match anything.
    q = django_filters.CharFilter(method="filter_q", label=_("Name, email or phone"),
                                  max_length=254)
    level = django_filters.ChoiceFilter(choices=ContactLevel.choices, label=_("Level"),
                                        empty_label=_("All levels"))
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices, label=_("Buying role"),
                                              empty_label=_("All buying roles"))
    is_active = django_filters.BooleanFilter(label=_("Still at the account"),
                                             widget=forms.Select(choices=_ACTIVE_CHOICES))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return contact_search(queryset, value)
