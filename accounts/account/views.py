"""Account pages: the list (filters, search, tiers), create, edit, delete; the account picker's
lookup."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.account.filters import AccountFilter
from accounts.account.forms import PICKER_MATCHES, AccountForm
from accounts.account.list_columns import list_columns, with_list_columns
from accounts.account.models import Account
from accounts.account.selectors import (
    account_children,
    account_list_queryset,
    account_lookup,
    account_visible_queryset,
)
from accounts.account.services import (
    account_check,
    account_create,
    account_delete,
    account_update,
)
from kam import clock
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.lists import SortOptions, filtered_page, form_page, get_or_404
from kam.roles import Perm

# Sortable columns; each order has an index (accounts/migrations/0013). Names sort by pinyin where
# the server has ICU (the column's collation, kam/migrations/0010).
SORT = SortOptions(columns={"name": ("name", "id"),
                            "strategic_value": ("strategic_value", "name", "id")},
                   default="name", descending_first=frozenset({"strategic_value"}))


def _get_visible(request: HttpRequest, account_id: int) -> Account:
    return get_or_404(account_list_queryset(actor=request.actor), pk=account_id)


@tenant_page()
def account_list(request: HttpRequest) -> HttpResponse:
    # The tier column: the account's tier state joined into the page's one query.
    # Other apps' columns (list_columns) are annotations of the same query.
    queryset = with_list_columns(
        account_list_queryset(actor=request.actor).select_related("tier_state"))
    filterset = AccountFilter(request.GET or None, queryset=queryset, request=request)
    invalid = filterset.is_bound and not filterset.is_valid()
    return render(request, "accounts/account_list.html", {
        "filter": filterset,
        **filtered_page(request, filterset, sort=SORT),
        "tiers_as_of": data_as_of("tiering"),
        "tenant_time_zone": request.actor.tenant.time_zone,
        "list_columns": list_columns(), "today": clock.today(request.actor.tenant),
    }, status=400 if invalid else 200)


def _detail(account: Account) -> str:
    return reverse("accounts:account-detail", args=[account.pk])


@tenant_page(Perm.ACCOUNT_CREATE)
def account_create_view(request: HttpRequest) -> HttpResponse:
    return form_page(
        request, AccountForm(request.POST or None, actor=request.actor),
        template="accounts/account_form.html", done=_detail,
        save=lambda data: account_create(actor=request.actor, data=data),
        check=lambda data: account_check(actor=request.actor, data=data),
        message=lambda account: _("Account %(name)s was created.") % {"name": account})


@tenant_page(Perm.ACCOUNT_CHANGE)
def account_edit_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_visible(request, account_id)
    return form_page(
        request, AccountForm(request.POST or None, instance=account, actor=request.actor),
        template="accounts/account_form.html", context={"account": account}, done=_detail,
        save=lambda data: account_update(actor=request.actor, account=account, data=data),
        check=lambda data: account_check(actor=request.actor, account=account, data=data),
        message=lambda _account: _("Your changes were saved."))


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


# No account name is longer: a longer term matches nothing, and is not searched.
_LOOKUP_TERM_MAX = 200


@tenant_page()
def account_lookup_view(request: HttpRequest) -> HttpResponse:
    """The account picker's matches for ``?q=`` (an htmx partial: the options of its listbox):
    the first PICKER_MATCHES accounts the member may see whose name or short name contains the
    term, by name, and whether there are more; ``?exclude=<id>`` leaves one out (an account's own
    parent field). One query (none for an empty term); another tenant's accounts and those the
    member may not see are never among them (the visible accounts are searched)."""
    term = request.GET.get("q", "").strip()
    exclude = request.GET.get("exclude", "")
    if exclude and not (exclude.isascii() and exclude.isdigit() and len(exclude) <= 18):
        raise BadRequest("exclude must be an account id")
    found: list[Account] = []
    if term and len(term) <= _LOOKUP_TERM_MAX:
        accounts = account_visible_queryset(actor=request.actor)
        if exclude:
            accounts = accounts.exclude(pk=int(exclude))
        found = account_lookup(accounts, term=term, limit=PICKER_MATCHES + 1)
    return render(request, "accounts/_account_options.html", {
        "term": term, "accounts": found[:PICKER_MATCHES], "more": len(found) > PICKER_MATCHES,
    })
