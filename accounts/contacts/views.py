"""Contact pages: the list of visible contacts, create / edit (incl. "left the account"), delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.account.forms import AccountPicker, preselected_account
from accounts.contacts.filters import ContactListFilter
from accounts.contacts.forms import ContactForm
from accounts.contacts.models import Contact
from accounts.contacts.selectors import contact_visible_queryset
from accounts.contacts.services import (
    contact_check,
    contact_create,
    contact_delete,
    contact_update,
)
from kam.decorators import tenant_page
from kam.filter_tokens import FILTER_PARAM, filter_token_load, filter_token_store
from kam.lists import SortOptions, filtered_page, form_page, get_or_404, see_other
from kam.roles import Perm


def _get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return get_or_404(contact_visible_queryset(actor=request.actor), pk=contact_id)


def _back_to_account(contact: Contact) -> str:
    return reverse("accounts:account-detail", args=[contact.account_id]) + "#contacts"


# Sortable columns; each order has an index (accounts/migrations/0013).
SORT = SortOptions(columns={"name": ("name", "id"),
                            "relationship": ("relationship_strength", "name", "id")},
                   default="name", descending_first=frozenset({"relationship"}))
CONTACT_LIST = "contacts"  # the token namespace, shared with the contact export


def _list_filterset(request: HttpRequest, params: QueryDict | None) -> ContactListFilter:
    return ContactListFilter(params, actor=request.actor, request=request,
                             queryset=contact_visible_queryset(actor=request.actor))


def _render_list(request: HttpRequest, filterset: ContactListFilter, *, status: int = 200,
                 **extra) -> HttpResponse:
    return render(request, "accounts/contact_list.html", {
        "filter": filterset,
        "can_change": request.actor.can(Perm.ACCOUNT_CHANGE),
        **filtered_page(request, filterset, sort=SORT),
        **extra,
    }, status=status)


def _search(request: HttpRequest, source: QueryDict) -> HttpResponse:
    """The search form (or an old link with ``?q=``): valid filters are a 303 to the list with the
    personal ones (the name searched) replaced by a token; the others stay in the URL."""
    params = QueryDict(mutable=True)
    account_text = AccountPicker.text_name("account")  # the account picker's box, when it searches
    for name in (*ContactListFilter.base_filters, account_text):
        if value := source.get(name, "").strip():
            params[name] = value
    filterset = _list_filterset(request, params)
    if not filterset.is_valid():
        # Rendered, not redirected: the term goes in no URL, not even to show the
        # error. Nothing to export or page through either.
        return _render_list(request, filterset, status=400, filter_invalid=True, base_query="",
                            filtered=True)
    # The account as the list's links name it: by id, whether it was picked or typed.
    params.pop(account_text, None)
    if (account := filterset.form.cleaned_data.get("account")) is not None:
        params["account"] = str(account.pk)
    personal = {name: params.pop(name)[-1] for name in ContactListFilter.personal_params
                if name in params}
    if personal:
        params[FILTER_PARAM] = filter_token_store(request, list_name=CONTACT_LIST, params=personal)
    query = params.urlencode()
    return see_other(reverse("accounts:contact-list") + (f"?{query}" if query else ""))


@tenant_page()
def contact_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _search(request, request.POST)
    if any(request.GET.get(name) for name in ContactListFilter.personal_params):
        # An old bookmark or a hand-made link: the term moves into a token at once, so the
        # address bar, the pager and the export links no longer carry it.
        return _search(request, request.GET)
    params = request.GET.copy()
    if token := params.pop(FILTER_PARAM, [""])[-1]:
        saved = filter_token_load(request, list_name=CONTACT_LIST, token=token)
        if saved is None:
            messages.info(request, _("That search has expired: the list is no longer filtered "
                                     "by name. Search again to filter it."))
            params.pop("cursor", None)
            query = params.urlencode()
            return see_other(reverse("accounts:contact-list") + (f"?{query}" if query else ""))
        for name, value in saved.items():
            params[name] = value
    return _render_list(request, _list_filterset(request, params or None))


@tenant_page(Perm.ACCOUNT_CHANGE)
def contact_create_view(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, actor=request.actor,
                           initial=preselected_account(request))
    return form_page(request, form, template="accounts/contact_form.html", done=_back_to_account,
                     save=lambda data: contact_create(actor=request.actor, data=data),
                     check=lambda data: contact_check(actor=request.actor, data=data),
                     message=lambda contact: _("Contact %(name)s was added.") % {"name": contact.name})


@tenant_page(Perm.ACCOUNT_CHANGE)
def contact_edit_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _get_contact(request, contact_id)
    form = ContactForm(request.POST or None, instance=contact, actor=request.actor)
    return form_page(request, form, template="accounts/contact_form.html",
                     context={"contact": contact}, done=_back_to_account,
                     save=lambda data: contact_update(actor=request.actor, contact=contact, data=data),
                     check=lambda data: contact_check(actor=request.actor, contact=contact, data=data),
                     message=lambda _contact: _("Your changes were saved."))


@tenant_page(Perm.ACCOUNT_CHANGE)
def contact_delete_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _get_contact(request, contact_id)
    if request.method == "POST":
        contact_delete(actor=request.actor, contact=contact)
        messages.success(request, _("Contact %(name)s was deleted.") % {"name": contact.name})
        return redirect(_back_to_account(contact))
    return render(request, "accounts/contact_confirm_delete.html", {"contact": contact})
