"""Filters of the visit lists: the API's, and the page's (the same names where they overlap)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.account.filters import VisibleAccountsMixin, tenant_accounts, tenant_members
from accounts.account.models import Account
from kam import clock
from visits.visit.models import Visit, VisitChannel, VisitLevel, VisitStatus
from visits.visit.selectors import VisitPeriod, visits_in_period


def in_days(queryset: QuerySet, field: str, value: Any) -> QuerySet:
    """A date range (``slice``: start, stop; either open) over a moment field, on the company's
    days: ``start_after=2026-06-01`` is from that day's first moment where the company works."""
    if not value:
        return queryset
    start, end = clock.day_range(value.start, value.stop)
    if start is not None:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


class VisitFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Account"))
    owner = django_filters.ModelChoiceFilter(queryset=tenant_members, label=_("Owner"))
    level = django_filters.ChoiceFilter(choices=VisitLevel.choices, label=_("Level"))
    channel = django_filters.ChoiceFilter(choices=VisitChannel.choices, label=_("Channel"))
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices, label=_("Status"))
    # start_after / start_before: the company's days, both inclusive.
    start = django_filters.DateFromToRangeFilter(method="filter_start", label=_("Start"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=_("External ID"))

    class Meta:
        model = Visit
        fields = ["account", "owner", "level", "channel", "status", "start", "external_id"]

    @extend_schema_field(OpenApiTypes.DATE)
    def filter_start(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return in_days(queryset, "planned_start", value)


class VisitListFilter(VisibleAccountsMixin, django_filters.FilterSet):
    # The page passes "upcoming" when the URL names no period: the list opens on what comes.
    period = django_filters.ChoiceFilter(
        method="filter_period", label=_("Period"), empty_label=None,
        widget=forms.Select(attrs={"aria-label": _("Period")}),
        choices=[(VisitPeriod.UPCOMING, _("From today on")), (VisitPeriod.PAST, _("Before today")),
                 (VisitPeriod.ALL, _("Any time"))])
    account = django_filters.ModelChoiceFilter(queryset=Account.unscoped_all_tenants.none(),
                                               label=_("Account"))
    level = django_filters.ChoiceFilter(choices=VisitLevel.choices, label=_("Level"),
                                        empty_label=_("All levels"))
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices, label=_("Status"),
                                         empty_label=_("All statuses"))

    class Meta:
        model = Visit
        fields = ["period", "account", "level", "status"]

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        actor = self.request.actor
        return visits_in_period(queryset, period=value, today=clock.today(actor.tenant),
                                actor=actor)
