"""Pages of the audit trail: an account's history (executives and administrators; managers of the
accounts they own) and the data-subject tools for one contact (administrators)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.account.selectors import account_list_queryset
from accounts.contacts.models import Contact
from accounts.history.selectors import (
    DEFAULT_PAGE_SIZE,
    HistoryCursorError,
    account_history_page,
    can_read_history,
    contact_export,
    contact_for_data_subject,
    is_erased,
)
from accounts.history.services import contact_erase
from kam.decorators import tenant_page
from kam.lists import get_or_404
from kam.roles import Perm


@tenant_page(Perm.AUDIT_READ_OWN)
def account_history(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_or_404(account_list_queryset(actor=request.actor), pk=account_id)
    if not can_read_history(actor=request.actor, account=account):
        raise PermissionDenied  # a manager: the history of the accounts they own only
    context = {"account": account, "time_zone": request.actor.tenant.time_zone}
    try:
        page = account_history_page(account=account, cursor=request.GET.get("cursor") or None,
                                    size=DEFAULT_PAGE_SIZE)
    except HistoryCursorError:
        context["bad_cursor"] = True
        return render(request, "accounts/account_history.html", context, status=400)
    context["page"] = page
    return render(request, "accounts/account_history.html", context)


def _contact(request: HttpRequest, contact_id: int) -> Contact:
    try:
        return contact_for_data_subject(actor=request.actor, contact_id=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc


@tenant_page(Perm.DATA_SUBJECT)
def contact_export_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Everything about one contact as a JSON download (the file name carries only the id)."""
    contact = _contact(request, contact_id)
    data = contact_export(actor=request.actor, contact=contact)
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@tenant_page(Perm.DATA_SUBJECT)
def contact_erase_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact(request, contact_id)
    if request.method == "POST":
        contact_erase(actor=request.actor, contact=contact)
        messages.success(request, _("The personal data of contact #%(id)d was erased, including "
                                    "from the change history.") % {"id": contact.pk})
        return redirect(reverse("accounts:account-detail", args=[contact.account_id]) + "#contacts")
    return render(request, "accounts/contact_erase.html",
                  {"contact": contact, "already_erased": is_erased(contact)})
