"""Contact pages: the list of visible contacts, create / edit (incl. "left the account"), delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.contacts import (
    contact_create,
    contact_delete,
    contact_update,
    contact_visible_queryset,
)
from accounts.forms import ContactForm, ContactListFilter
from accounts.models import Contact
from accounts.views import filtered_page
from kam.decorators import tenant_page
from kam.roles import Perm


def _get_contact(request: HttpRequest, contact_id: int) -> Contact:
    try:
        return contact_visible_queryset(actor=request.actor).get(pk=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc


def _back_to_account(contact: Contact) -> str:
    return reverse("account-detail", args=[contact.account_id]) + "#contacts"


@tenant_page()
def contact_list(request: HttpRequest) -> HttpResponse:
    filterset = ContactListFilter(request.GET or None, actor=request.actor, request=request,
                                  queryset=contact_visible_queryset(actor=request.actor))
    return render(request, "accounts/contact_list.html", {
        "filter": filterset,
        "can_change": request.actor.can(Perm.ACCOUNT_CHANGE),
        **filtered_page(request, filterset, order=("name", "id")),
    })


@tenant_page(Perm.ACCOUNT_CHANGE)
def contact_create_view(request: HttpRequest) -> HttpResponse:
    initial = {}
    if (account_id := request.GET.get("account", "")).isdigit():
        # Only preselects: the choices are the visible accounts, anything else shows as unset.
        initial["account"] = int(account_id)
    form = ContactForm(request.POST or None, actor=request.actor, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = contact_create(actor=request.actor, data=form.data_for_service())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Contact %(name)s was added.") % {"name": contact.name})
                return redirect(_back_to_account(contact))
        return render(request, "accounts/contact_form.html", {"form": form}, status=400)
    return render(request, "accounts/contact_form.html", {"form": form})


@tenant_page(Perm.ACCOUNT_CHANGE)
def contact_edit_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _get_contact(request, contact_id)
    form = ContactForm(request.POST or None, instance=contact, actor=request.actor)
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = contact_update(actor=request.actor, contact=contact,
                                         data=form.data_for_service())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect(_back_to_account(contact))
        return render(request, "accounts/contact_form.html",
                      {"form": form, "contact": contact}, status=400)
    return render(request, "accounts/contact_form.html", {"form": form, "contact": contact})


@tenant_page(Perm.ACCOUNT_CHANGE)
def contact_delete_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _get_contact(request, contact_id)
    if request.method == "POST":
        contact_delete(actor=request.actor, contact=contact)
        messages.success(request, _("Contact %(name)s was deleted.") % {"name": contact.name})
        return redirect(_back_to_account(contact))
    return render(request, "accounts/contact_confirm_delete.html", {"contact": contact})
