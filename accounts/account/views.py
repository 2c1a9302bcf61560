"""Account pages: the list (filters, search, tiers), create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.account.filters import AccountFilter
from accounts.account.forms import AccountForm
from accounts.account.models import Account
from accounts.account.selectors import account_children, account_list_queryset
from accounts.account.services import account_create, account_delete, account_update
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.lists import filtered_page, get_or_404
from kam.roles import Perm


def _get_visible(request: HttpRequest, account_id: int) -> Account:
    return get_or_404(account_list_queryset(actor=request.actor), pk=account_id)


@tenant_page()
def account_list(request: HttpRequest) -> HttpResponse:
    # The tier column: the account's tier state joined into the page's one query.
    queryset = account_list_queryset(actor=request.actor).select_related("tier_state")
    filterset = AccountFilter(request.GET or None, queryset=queryset, request=request)
    invalid = filterset.is_bound and not filterset.is_valid()
    return render(request, "accounts/account_list.html", {
        "filter": filterset,
        **filtered_page(request, filterset, order=("name", "id")),
        "tiers_as_of": data_as_of("tiering"),
        "tenant_time_zone": request.actor.tenant.time_zone,
    }, status=400 if invalid else 200)


@tenant_page(Perm.ACCOUNT_CREATE)
def account_create_view(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, actor=request.actor)
    if request.method == "POST":
        if form.is_valid():
            try:
                account = account_create(actor=request.actor,
                                         data=form.data_for_service())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Account %(name)s was created.") % {"name": account})
                return redirect("accounts:account-detail", account_id=account.pk)
        return render(request, "accounts/account_form.html", {"form": form}, status=400)
    return render(request, "accounts/account_form.html", {"form": form})


@tenant_page(Perm.ACCOUNT_CHANGE)
def account_edit_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_visible(request, account_id)
    form = AccountForm(request.POST or None, instance=account, actor=request.actor)
    if request.method == "POST":
        if form.is_valid():
            try:
                account = account_update(actor=request.actor, account=account,
                                         data=form.data_for_service())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect("accounts:account-detail", account_id=account.pk)
        return render(request, "accounts/account_form.html",
                      {"form": form, "account": account}, status=400)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@tenant_page(Perm.ACCOUNT_DELETE)
def account_delete_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_visible(request, account_id)
    if request.method == "POST":
        account_delete(actor=request.actor, account=account)
        messages.success(request, _("Account %(name)s was deleted.") % {"name": account.name})
        return redirect("accounts:account-list")
    return render(request, "accounts/account_confirm_delete.html", {
        "account": account,
        "children_count": account_children(actor=request.actor, account=account).count(),
    })
