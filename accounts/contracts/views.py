"""Contract pages: the list (with the renewals-due view), create / edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.account.forms import preselected_account
from accounts.contracts.filters import ContractListFilter
from accounts.contracts.forms import ContractForm
from accounts.contracts.models import Contract
from accounts.contracts.selectors import (
    ContractPeriod,
    contract_visible_queryset,
    contracts_filter_renewal_due,
    with_renewal_due,
)
from accounts.contracts.services import (
    contract_check,
    contract_create,
    contract_delete,
    contract_update,
)
from kam import clock
from kam.decorators import tenant_page
from kam.lists import SortOptions, filtered_page, form_page, get_or_404
from kam.roles import Perm


def _get_contract(request: HttpRequest, contract_id: int) -> Contract:
    return get_or_404(contract_visible_queryset(actor=request.actor), pk=contract_id)


def _back_to_account(contract: Contract) -> str:
    return reverse("accounts:account-detail", args=[contract.account_id]) + "#contracts"


# Sortable columns. Current contracts open soonest-ending first; ended ones (or all), latest
# ending first, so 2024's do not come before this year's.
_SORT_COLUMNS = {"end_date": ("end_date", "id"), "number": ("number", "id"),
                 "value": ("value", "id")}
SORT_CURRENT = SortOptions(columns=_SORT_COLUMNS, default="end_date",
                           descending_first=frozenset({"value"}))
SORT_PAST = SortOptions(columns=_SORT_COLUMNS, default="-end_date",
                        descending_first=frozenset({"value", "end_date"}))


@tenant_page()
def contract_list(request: HttpRequest) -> HttpResponse:
    today = clock.today(request.actor.tenant)
    renewal_due = request.GET.get("renewal_due") == "1"
    qs = with_renewal_due(contract_visible_queryset(actor=request.actor), today=today)
    if renewal_due:
        qs = contracts_filter_renewal_due(qs, today=today)
    params = request.GET.copy()
    params.pop("renewal_due", None)
    if not params.get("period"):
        params["period"] = ContractPeriod.CURRENT  # the list opens on the current contracts
    filterset = ContractListFilter(params, actor=request.actor, request=request, queryset=qs)
    current = params["period"] == ContractPeriod.CURRENT
    context = filtered_page(request, filterset, sort=SORT_CURRENT if current else SORT_PAST)
    # The tab is not a filter of the form, nor is the sort: "filtered" (the empty state) looks
    # at the form only, and the default period is no filter.
    context["filtered"] = not current or any(
        v for k, v in params.items() if k not in ("cursor", "sort", "period"))
    tab_query = request.GET.copy()
    for name in ("renewal_due", "cursor"):
        tab_query.pop(name, None)
    return render(request, "accounts/contract_list.html", {
        "filter": filterset,
        "renewal_due": renewal_due,
        "tab_query": tab_query.urlencode(),
        "today": today,
        "can_change": request.actor.can(Perm.ACCOUNT_CHANGE),
        **context,
    })


@tenant_page(Perm.ACCOUNT_CHANGE)
def contract_create_view(request: HttpRequest) -> HttpResponse:
    form = ContractForm(request.POST or None, actor=request.actor,
                            initial=preselected_account(request))
    return form_page(request, form, template="accounts/contract_form.html", done=_back_to_account,
                     save=lambda data: contract_create(actor=request.actor, data=data),
                     check=lambda data: contract_check(actor=request.actor, data=data),
                     message=lambda contract: _("Contract %(number)s was added.") % {
                         "number": contract.number})


@tenant_page(Perm.ACCOUNT_CHANGE)
def contract_edit_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _get_contract(request, contract_id)
    form = ContractForm(request.POST or None, instance=contract, actor=request.actor)
    return form_page(request, form, template="accounts/contract_form.html",
                     context={"contract": contract}, done=_back_to_account,
                     save=lambda data: contract_update(actor=request.actor, contract=contract, data=data),
                     check=lambda data: contract_check(actor=request.actor, contract=contract,
                                                       data=data),
                     message=lambda _contract: _("Your changes were saved."))


@tenant_page(Perm.ACCOUNT_CHANGE)
def contract_delete_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _get_contract(request, contract_id)
    if request.method == "POST":
        contract_delete(actor=request.actor, contract=contract)
        messages.success(request, _("Contract %(number)s was deleted.") % {
            "number": contract.number})
        return redirect(_back_to_account(contract))
    return render(request, "accounts/contract_confirm_delete.html", {"contract": contract})
