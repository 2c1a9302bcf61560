"""The transactions list page. Transactions are written by the ERP sync, imports and the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.transactions.filters import TransactionListFilter
from accounts.transactions.selectors import transaction_visible_queryset
from kam.decorators import tenant_page
from kam.lists import SortOptions, filtered_page

# Sortable columns: the date, newest first (index: accounts/migrations/0013). Not the amount: a
# keyset on a numeric column cannot start an index scan under row-level security (numeric
# comparisons are not LEAKPROOF), so a previous page of a 2M-row tenant read every row (5-9 s).
SORT = SortOptions(columns={"date": ("date", "id")}, default="-date",
                   descending_first=frozenset({"date"}))


@tenant_page()
def transaction_list(request: HttpRequest) -> HttpResponse:
    qs = transaction_visible_queryset(actor=request.actor).select_related("account", "refund_of")
    filterset = TransactionListFilter(request.GET or None, actor=request.actor, request=request,
                                      queryset=qs)
    return render(request, "accounts/transaction_list.html", {
        "filter": filterset,
        **filtered_page(request, filterset, sort=SORT),
    })
