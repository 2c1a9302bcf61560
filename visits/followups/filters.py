"""Filters of the follow-up lists: the API's, and the page's."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.account.filters import VisibleAccountsMixin, tenant_accounts, tenant_members
from accounts.account.models import Account
from kam import clock
from kam.roles import Actor
from visits.followups.models import FollowUp, FollowUpSource, FollowUpStatus
from visits.visit.models import Visit


def tenant_visits(request: Any) -> QuerySet[Visit]:
    """The choices of a ``visit`` filter: per request, so the scoped manager sees its tenant."""
    return Visit.objects.all()


class FollowUpFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Account"))
    owner = django_filters.ModelChoiceFilter(queryset=tenant_members, label=_("Owner"))
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("Status"))
    source = django_filters.ChoiceFilter(choices=FollowUpSource.choices, label=_("Source"))
    visit = django_filters.ModelChoiceFilter(queryset=tenant_visits, label=_("Visit"))
    due = django_filters.DateFromToRangeFilter(field_name="due_on", label=_("Due date"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=_("External ID"))

    class Meta:
        model = FollowUp
        fields = ["account", "owner", "status", "source", "visit", "due", "overdue", "external_id"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        """Open and due before today (the company's), or not."""
        if value is None:
            return queryset
        actor: Actor = self.request.auth
        overdue = {"status": FollowUpStatus.OPEN, "due_on__lt": clock.today(actor.tenant)}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)


class FollowUpListFilter(VisibleAccountsMixin, django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=Account.unscoped_all_tenants.none(),
                                               label=_("Account"))
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("Status"),
                                         empty_label=_("All statuses"))

    class Meta:
        model = FollowUp
        fields = ["account", "status"]
