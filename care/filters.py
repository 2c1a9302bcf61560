"""Filters of the care reminders API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.account.filters import tenant_accounts, tenant_members
from care.models import CareReminder, Occasion, ReminderStatus


class CareReminderFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=_("Account"))
    owner = django_filters.ModelChoiceFilter(queryset=tenant_members, label=_("Owner"))
    status = django_filters.ChoiceFilter(choices=ReminderStatus.choices, label=_("Status"))
    occasion = django_filters.ChoiceFilter(choices=Occasion.choices, label=_("Occasion"))
    occurs = django_filters.DateFromToRangeFilter(field_name="occurs_on", label=_("Date"))

    class Meta:
        model = CareReminder
        fields = ["account", "owner", "status", "occasion", "occurs"]
