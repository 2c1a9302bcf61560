"""Filters shared by the account list page, the API and exports, and the account filter every
list page of the profile offers (the account picker: a select of the visible accounts while they
are few, a search box beyond)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.account.forms import AccountChoiceField, AccountPicker
from accounts.account.models import Account, CreditRating, Industry, LifecycleStatus
from accounts.account.selectors import account_search, account_visible_queryset
from accounts.tiering.models import Tier
from kam.models import Membership, person_name_order
from kam.roles import Actor


def _members(request) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by(person_name_order(), "id")


def tenant_accounts(request) -> QuerySet[Account]:
    """The choices of an ``account`` filter: called per request, so the scoped manager sees the
    request's tenant (another tenant's id is "not a valid choice": a 400)."""
    return Account.objects.all()


def tenant_members(request) -> QuerySet[Membership]:
    return Membership.objects.all()


def visible_account_choices(actor: Actor) -> QuerySet[Account]:
    """The accounts the actor may see, by name: every one of them, however many. A form or a
    list filter chooses an account with ``accounts.account.forms.AccountChoiceField`` (or
    ``AccountChoiceFilter``), which lists them only while they are few."""
    return account_visible_queryset(actor=actor).only("id", "name").order_by("name", "id")


class AccountChoiceFilter(django_filters.ModelChoiceFilter):
    """A list filter's account, chosen with the account picker (``AccountChoiceField``)."""

    field_class = AccountChoiceField


class VisibleAccountsMixin(django_filters.FilterSet):
    """A page's list filter by account, among the accounts the actor may see (first among the
    bases, its ``account`` replaces the API filter's)."""

    account = AccountChoiceFilter(
        label=_("Account"), empty_label=_("All accounts"),
        placeholder=_("All accounts (type a name to filter)"),
        widget=AccountPicker(attrs={"aria-label": _("Account")}))

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["account"].queryset = account_visible_queryset(actor=actor)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(queryset=_members, label=_("Owner"),
                                             empty_label=_("All owners"))
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"),
                                          empty_label=_("All industries"))
    province = django_filters.CharFilter(lookup_expr="exact", label=_("Province"))
    lifecycle_status = django_filters.ChoiceFilter(choices=LifecycleStatus.choices,
                                                   label=_("Lifecycle status"),
                                                   empty_label=_("All statuses"))
    credit_rating = django_filters.ChoiceFilter(choices=CreditRating.choices,
                                                label=_("Credit rating"),
                                                empty_label=_("All credit ratings"))
    parent = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Parent account"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=_("External ID"))
    # The effective tier (override or computed); accounts not tiered yet match no tier.
    tier = django_filters.ChoiceFilter(field_name="tier_state__tier", choices=Tier.choices,
                                       label=_("Tier"), empty_label=_("All tiers"))

    class Meta:
        model = Account
        fields = ["q", "owner", "industry", "province", "lifecycle_status", "credit_rating",
                  "parent", "external_id", "tier"]

    def filter_q(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        if not value:
            return queryset
        return account_search(queryset, value)
