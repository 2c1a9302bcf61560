from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_filters import FilterSet

from accounts.filters import AccountFilter
from accounts.forms import AccountForm
from accounts.models import Account
from accounts.selectors import account_children, account_get, account_list_queryset
from accounts.services import account_create, account_delete, account_update
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.pagination import KeysetError, keyset_page
from kam.roles import Perm

PAGE_SIZE = 25


def filtered_page(request: HttpRequest, filterset: FilterSet, *, order: tuple[str, ...],
                  size: int = PAGE_SIZE) -> dict[str, Any]:
    """A list page's rows: the filterset's queryset (none when a filter is invalid), one keyset page
    of it, and the query string without the cursor (for the pager and the export links)."""
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    if filterset.is_bound and not filterset.is_valid():
        qs = qs.none()
    try:
        page = keyset_page(qs, order=order, cursor=request.GET.get("cursor"), size=size)
    except KeysetError:
        # A tampered cursor (or one whose values do not fit the fields) restarts at page one.
        page = keyset_page(qs, order=order, cursor=None, size=size)
    query = request.GET.copy()
    query.pop("cursor", None)
    return {
        "page": page,
        "base_query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "cursor"),
    }


def _get_visible(request: HttpRequest, account_id: int) -> Account:
    try:
        return account_get(actor=request.actor, account_id=account_id)
    except Account.DoesNotExist as exc:
        raise Http404 from exc


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


def _form_errors(form: AccountForm, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


@tenant_page(Perm.ACCOUNT_CREATE)
def account_create_view(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, actor=request.actor)
    if request.method == "POST":
        if form.is_valid():
            try:
                account = account_create(actor=request.actor,
                                         data=form.changed_data_for_service())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Account %(name)s was created.") % {"name": account})
                return redirect("account-detail", account_id=account.pk)
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
                                         data=form.changed_data_for_service())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect("account-detail", account_id=account.pk)
        return render(request, "accounts/account_form.html",
                      {"form": form, "account": account}, status=400)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@tenant_page(Perm.ACCOUNT_DELETE)
def account_delete_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_visible(request, account_id)
    if request.method == "POST":
        account_delete(actor=request.actor, account=account)
        messages.success(request, _("Account %(name)s was deleted.") % {"name": account.name})
        return redirect("account-list")
    return render(request, "accounts/account_confirm_delete.html", {
        "account": account,
        "children_count": account_children(actor=request.actor, account=account).count(),
    })
