"""Filters of the coverage list and its API (the same names): tier, level, state, gaps."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.contacts.models import ContactLevel
from accounts.tiering.models import Tier
from visits.cadence.models import CadenceState, CadenceStatus
from visits.cadence.selectors import GAP


class CoverageFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"))
    level = django_filters.ChoiceFilter(choices=ContactLevel.choices, label=_("Level"))
    state = django_filters.ChoiceFilter(choices=CadenceState.choices, label=_("State"))
    gap = django_filters.BooleanFilter(method="filter_gap", label=_("Gaps only"))

    class Meta:
        model = CadenceStatus
        fields = ["tier", "level", "state", "gap"]

    @extend_schema_field(OpenApiTypes.BOOL)  # a method filter: its type for the schema
    def filter_gap(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(GAP) if value else queryset.exclude(GAP)
