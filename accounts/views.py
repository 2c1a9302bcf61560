from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.filters import AccountFilter
from accounts.forms import AccountForm
from accounts.models import Account
from accounts.selectors import account_children, account_get, account_list_queryset
from accounts.services import account_create, account_delete, account_update
from kam.decorators import tenant_page
from kam.pagination import KeysetError, keyset_page
from kam.roles import Perm

PAGE_SIZE = 25


def _get_visible(request: HttpRequest, account_id: int) -> Account:
    try:
        return account_get(actor=request.actor, account_id=account_id)
    except Account.DoesNotExist as exc:
        raise Http404 from exc


@tenant_page()
def account_list(request: HttpRequest) -> HttpResponse:
    filterset = AccountFilter(request.GET or None, queryset=account_list_queryset(
        actor=request.actor), request=request)
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    if filterset.is_bound and not filterset.is_valid():
        qs = qs.none()
    try:
        page = keyset_page(qs, order=("name", "id"), cursor=request.GET.get("cursor"),
                           size=PAGE_SIZE)
    except KeysetError:
        page = keyset_page(qs, order=("name", "id"), cursor=None, size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "accounts/account_list.html", {
        "filter": filterset,
        "page": page,
        "base_query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "cursor"),
    })


@tenant_page()
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_visible(request, account_id)
    return render(request, "accounts/account_detail.html", {
        "account": account,
        "children": account_children(actor=request.actor, account=account)[:50],
        "can_change": request.actor.can(Perm.ACCOUNT_CHANGE),
        "can_delete": request.actor.can(Perm.ACCOUNT_DELETE),
    })


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
