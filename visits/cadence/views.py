"""Cadence pages: the 360° page's cadence section (htmx) and the coverage page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.account.selectors import account_visible_queryset
from kam import clock
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.lists import SortOptions, filtered_page, get_or_404
from visits.cadence.filters import CoverageFilter
from visits.cadence.selectors import (
    MATRIX_STATES,
    account_cadence,
    coverage_matrix,
    coverage_queryset,
)

# Most overdue first by default; or by account (then level).
SORT = SortOptions(columns={"due": ("next_due_on", "id"),
                            "account": ("account__name", "level", "id")},
                   default="due")


@tenant_page()
def account_cadence_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """The 360° page's cadence section: each level against the tier's standard."""
    account = get_or_404(account_visible_queryset(actor=request.actor), pk=account_id)
    return render(request, "visits/cadence/_account_cadence.html", {
        "account": account, "levels": account_cadence(account=account),
        "today": clock.today(request.actor.tenant)})


@tenant_page()
def coverage(request: HttpRequest) -> HttpResponse:
    """Coverage across the accounts the user may see: the tier × level matrix, and the accounts
    behind cadence, most overdue first."""
    filterset = CoverageFilter(request.GET or None, queryset=coverage_queryset(actor=request.actor))
    invalid = filterset.is_bound and not filterset.is_valid()
    return render(request, "visits/cadence/coverage.html", {
        "filter": filterset, **filtered_page(request, filterset, sort=SORT),
        "matrix": coverage_matrix(actor=request.actor), "states": MATRIX_STATES,
        "today": clock.today(request.actor.tenant), "as_of": data_as_of("cadence"),
    }, status=400 if invalid else 200)
