"""Filters of the transaction lists: the API's, and the page's (the same names)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from accounts.account.filters import VisibleAccountsMixin, tenant_accounts
from accounts.transactions.models import Transaction


class TransactionFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=tenant_accounts, label=gettext_lazy("Account"))
    date = django_filters.DateFromToRangeFilter(label=gettext_lazy("Date"))  # date_after/_before
    product_line = django_filters.CharFilter(lookup_expr="exact",
                                             label=gettext_lazy("Product line"))
    external_id = django_filters.CharFilter(lookup_expr="exact", label=gettext_lazy("External ID"))

    class Meta:
        model = Transaction
        fields = ["account", "date", "product_line", "external_id"]


class TransactionListFilter(VisibleAccountsMixin, TransactionFilter):
    pass
