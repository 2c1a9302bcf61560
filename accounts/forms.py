from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.contacts import CONTACT_EDITABLE_FIELDS
from accounts.contacts_api import ContactFilter
from accounts.contracts import CONTRACT_EDITABLE_FIELDS
from accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactLevel,
    Contract,
    ContractStatus,
    TeamRole,
)
from accounts.selectors import account_visible_queryset, member_choices
from accounts.services import ACCOUNT_EDITABLE_FIELDS
from accounts.transactions_api import TransactionFilter
from kam.models import Membership
from kam.roles import Actor, Perm


class AccountForm(forms.ModelForm):
    """Field widgets and parsing only; the rules are in accounts.services."""

    # Declared, not generated: a generated field would touch the scoped manager at import time,
    # before any tenant is set. The querysets are set per request in __init__.
    owner = forms.ModelChoiceField(label=_("owner"), required=False,
                                   queryset=Membership.unscoped_all_tenants.none())
    parent = forms.ModelChoiceField(label=_("parent account"), required=False,
                                    queryset=Account.unscoped_all_tenants.none())

    class Meta:
        model = Account
        fields = list(ACCOUNT_EDITABLE_FIELDS)
        widgets = {
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices()
        parents = account_visible_queryset(actor=actor).only("id", "name").order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        if not actor.can(Perm.ACCOUNT_ASSIGN_OWNER):
            self.fields["owner"].disabled = True
            if not self.instance.pk and actor.membership is not None:
                self.initial["owner"] = actor.membership.pk

    def _post_clean(self) -> None:
        # Model validation runs in the service, where the rules live (one place, one message).
        pass

    def changed_data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields
                if not self.fields[name].disabled}


# --- profile pages: contacts, contracts, the account team ----------------------------------------

_DATE_INPUT = {"type": "date"}


class _ServiceForm(forms.ModelForm):
    """A ModelForm that only parses; the model's rules run in the service (one place, one message)."""

    def _post_clean(self) -> None:
        pass

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields
                if not self.fields[name].disabled}

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, msgs in exc.message_dict.items():
            for msg in msgs:
                self.add_error(field if field in self.fields else None, msg)


def _visible_accounts(actor: Actor):
    return account_visible_queryset(actor=actor).only("id", "name").order_by("name", "id")


class ContactForm(_ServiceForm):
    account = forms.ModelChoiceField(label=_("account"),
                                     queryset=Account.unscoped_all_tenants.none())

    class Meta:
        model = Contact
        fields = list(CONTACT_EDITABLE_FIELDS)
        widgets = {
            "birthday": forms.DateInput(attrs=_DATE_INPUT, format="%Y-%m-%d"),
            "left_on": forms.DateInput(attrs=_DATE_INPUT, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = _visible_accounts(actor)


class ContractForm(_ServiceForm):
    account = forms.ModelChoiceField(label=_("account"),
                                     queryset=Account.unscoped_all_tenants.none())

    class Meta:
        model = Contract
        fields = list(CONTRACT_EDITABLE_FIELDS)
        widgets = {
            "start_date": forms.DateInput(attrs=_DATE_INPUT, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs=_DATE_INPUT, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = _visible_accounts(actor)


class TeamMemberForm(forms.Form):
    membership = forms.ModelChoiceField(label=_("member"), empty_label=_("Choose a member"),
                                        queryset=Membership.unscoped_all_tenants.none())
    team_role = forms.ChoiceField(label=_("team role"), choices=TeamRole.choices)

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = candidates

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, msgs in exc.message_dict.items():
            for msg in msgs:
                self.add_error(field if field in self.fields else None, msg)


# --- list filters of the pages ---------------------------------------------------------------------
# Subclasses of the API's FilterSets: the same parameter names, so the export links can pass the
# page's query string on unchanged. Account choices are limited to the accounts the actor sees.

_ACTIVE_CHOICES = (("", _("Current and former")), ("true", _("Still at the account")),
                   ("false", _("Left the account")))


class _ActorAccountsMixin:
    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["account"].queryset = _visible_accounts(actor)
        self.filters["account"].extra["empty_label"] = _("All accounts")


class ContactListFilter(_ActorAccountsMixin, ContactFilter):
    # Filters that may hold personal data (a person's name): never put in a URL. The page POSTs
    # them and links carry an opaque token instead (accounts.filter_tokens).
    personal_params = ("q",)

    # A contact's name has at most 100 characters: a longer search cannot match anything.
    q = django_filters.CharFilter(method="filter_q", label=_("Search"), max_length=100)
    level = django_filters.ChoiceFilter(choices=ContactLevel.choices, label=_("Level"),
                                        empty_label=_("All levels"))
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices, label=_("Buying role"),
                                              empty_label=_("All buying roles"))
    is_active = django_filters.BooleanFilter(label=_("Still at the account"),
                                             widget=forms.Select(choices=_ACTIVE_CHOICES))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(name__icontains=value) if value else queryset


class TransactionListFilter(_ActorAccountsMixin, TransactionFilter):
    pass


class ContractListFilter(_ActorAccountsMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    account = django_filters.ModelChoiceFilter(queryset=Account.unscoped_all_tenants.none(),
                                               label=_("Account"))
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"),
                                         empty_label=_("All statuses"))

    class Meta:
        model = Contract
        fields = ["q", "account", "status"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))
