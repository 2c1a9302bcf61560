"""Filters of the contract lists: the API's (with ``renewal_due``), and the page's."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.account.filters import VisibleAccountsMixin, tenant_accounts
from accounts.contracts.models import Contract, ContractStatus
from accounts.contracts.selectors import (
    ContractPeriod,
    contracts_filter_period,
    contracts_filter_renewal_due,
)
from kam import clock
from kam.roles import Actor


class ContractFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Account"))
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
        return contracts_filter_renewal_due(queryset, today=clock.today(actor.tenant), due=value)


class ContractListFilter(VisibleAccountsMixin):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    # The page passes "current" when the URL names no period: the list opens on current contracts.
    period = django_filters.ChoiceFilter(
        method="filter_period", label=_("Period"), empty_label=None,
        widget=forms.Select(attrs={"aria-label": _("Period")}),
        choices=[(ContractPeriod.CURRENT, _("Current contracts")),
                 (ContractPeriod.ENDED, _("Ended contracts")),
                 (ContractPeriod.ALL, _("Current and ended"))])
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"),
                                         empty_label=_("All statuses"))

    class Meta:
        model = Contract
        fields = ["q", "period", "account", "status"]

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return contracts_filter_period(queryset, period=value,
                                       today=clock.today(self.request.actor.tenant))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))
